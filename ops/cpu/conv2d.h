#pragma once
// The CPU implementation of the 2-D convolution (ops/conv2d.h), called by its dispatch once
// the arguments are checked: the choice between the direct kernel (ops/cpu/conv2d_direct.h)
// and the GEMM lowering (ops/cpu/conv2d_gemm.h), the stride-1 backward input as a forward
// convolution, and the bias gradient. Internal to ops/.
#include <cstdint>

#include "core/tensor.h"
#include "kernels/conv2d_geometry.h"
#include "ops/conv2d.h"

namespace hs::ops::detail {

// The tensor shapes of a geometry: input, weight, output.
inline Shape conv2d_x_shape(const Conv2dGeometry& d) {
  return {d.batch, d.in_c, d.image.in_h, d.image.in_w};
}
inline Shape conv2d_w_shape(const Conv2dGeometry& d) {
  return {d.out_c, d.in_c_group, d.image.kernel_h, d.image.kernel_w};
}
inline Shape conv2d_y_shape(const Conv2dGeometry& d) {
  return {d.batch, d.out_c, d.image.out_h, d.image.out_w};
}

// The plan the CPU path follows for d at the current hs::num_threads().
Conv2dCpuPlan conv2d_cpu_make_plan(const Conv2dGeometry& d);

Tensor conv2d_forward_cpu(const Conv2dGeometry& d, const Tensor& x, const Tensor& w,
                          const Tensor& bias, Conv2dActivation activation);
Tensor conv2d_backward_input_cpu(const Conv2dGeometry& d, const Tensor& grad_out, const Tensor& w,
                                 const Conv2dParams& params);
Tensor conv2d_backward_weight_cpu(const Conv2dGeometry& d, const Tensor& grad_out, const Tensor& x);
Tensor conv2d_backward_bias_cpu(const Tensor& grad_out);

}  // namespace hs::ops::detail
