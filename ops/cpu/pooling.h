#pragma once
// The CPU implementation of max, average and global average pooling (ops/pooling.h), called
// by its dispatch once the arguments are checked. Internal to ops/.
#include <cstdint>

#include "core/tensor.h"
#include "kernels/pool_index.h"
#include "ops/pooling.h"

namespace hs::ops::detail {

// Resolved window geometry of one pooling call over [N,C,in_h,in_w] planes.
struct PoolGeometry {
  std::int64_t batch = 0, channels = 0;
  std::int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  PoolAxis h, w;

  std::int64_t planes() const { return batch * channels; }
  Shape output_shape() const { return {batch, channels, out_h, out_w}; }
};

// A 4-D input's planes as base + n * stride_n + c * stride_c + (h * W + w): `t` is the input
// itself when its H·W planes are dense (channel slices among them), else a contiguous copy.
struct PoolPlanes {
  Tensor t;
  std::int64_t stride_n = 0, stride_c = 0;
};

// Outputs are contiguous CPU tensors of x's dtype; gradients dy and indices are contiguous.
MaxPool2dForward max_pool2d_forward_cpu(const PoolGeometry& g, const PoolPlanes& x);
// dx [input_shape] with each dy cell added at its index; indices_in_range is set to false
// (dx then incomplete) when an index lies outside its H·W plane.
Tensor max_pool2d_backward_cpu(const Tensor& dy, const Tensor& indices, const Shape& input_shape,
                               bool& indices_in_range);
Tensor avg_pool2d_forward_cpu(const PoolGeometry& g, const PoolPlanes& x, bool count_include_pad);
Tensor avg_pool2d_backward_cpu(const PoolGeometry& g, const Tensor& dy, bool count_include_pad);
// y [N,C,1,1] from x's [N,C,H,W] planes (H·W > 0); dx [input_shape] from dy [N,C,1,1].
Tensor global_avg_pool2d_forward_cpu(const PoolPlanes& x);
Tensor global_avg_pool2d_backward_cpu(const Tensor& dy, const Shape& input_shape);

}  // namespace hs::ops::detail
