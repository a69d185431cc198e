#pragma once
// The CPU implementation of the 2-D convolution (ops/conv2d.h), called by its dispatch once
// the arguments are checked: the choice between the direct kernel (ops/cpu/conv2d_direct.h)
// and the GEMM lowering (ops/cpu/conv2d_gemm.h), the stride-1 backward input as a forward
// convolution, and the bias gradient. Internal to ops/.
#include <cstdint>

#include "core/tensor.h"
#include "kernels/im2col_index.h"
#include "ops/conv2d.h"

namespace hs::ops::detail {

using std::int64_t;

// Everything the kernels need, resolved once from the argument shapes. `image` is the
// im2col geometry of one whole image (all channels): its column rows come grouped, rows
// [g*gemm_k, (g+1)*gemm_k) belonging to group g.
struct ConvDims {
  int64_t batch = 0, in_c = 0, out_c = 0, groups = 1;
  int64_t in_c_group = 0, out_c_group = 0;
  Im2colGeometry image{};

  int64_t gemm_k() const { return in_c_group * image.kernel_h * image.kernel_w; }
  int64_t column_rows() const { return image.column_rows(); }
  int64_t in_plane() const { return image.in_h * image.in_w; }
  int64_t out_plane() const { return image.out_h * image.out_w; }
  // A 1x1, stride-1, unpadded convolution: each image's [Cin, H*W] planes are already its
  // column matrix.
  bool pointwise() const {
    return image.kernel_h == 1 && image.kernel_w == 1 && image.stride_h == 1 &&
           image.stride_w == 1 && image.pad_h == 0 && image.pad_w == 0;
  }
  Shape x_shape() const { return {batch, in_c, image.in_h, image.in_w}; }
  Shape w_shape() const { return {out_c, in_c_group, image.kernel_h, image.kernel_w}; }
  Shape y_shape() const { return {batch, out_c, image.out_h, image.out_w}; }
};

// The plan the CPU path follows for d at the current hs::num_threads().
Conv2dCpuPlan conv2d_cpu_make_plan(const ConvDims& d);

Tensor conv2d_forward_cpu(const ConvDims& d, const Tensor& x, const Tensor& w, const Tensor& bias);
Tensor conv2d_backward_input_cpu(const ConvDims& d, const Tensor& grad_out, const Tensor& w,
                                 const Conv2dParams& params);
Tensor conv2d_backward_weight_cpu(const ConvDims& d, const Tensor& grad_out, const Tensor& x);
Tensor conv2d_backward_bias_cpu(const Tensor& grad_out);

}  // namespace hs::ops::detail
