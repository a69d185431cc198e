#pragma once
// 2-D pooling on raw NCHW tensors (no autograd): max pool with argmax indices, average
// pool, and global average pool, each with its backward. f32 and f64 on the CPU and CUDA;
// any layout in, contiguous out on the input's device. Semantics follow PyTorch's (floor mode, no
// dilation).
#include <cstdint>
#include <optional>
#include <ostream>

#include "core/tensor.h"

namespace hs::ops {

// A (height, width) pair for a pooling kernel, stride or padding; one number means the
// same for both axes.
struct Size2 {
  std::int64_t h = 1;
  std::int64_t w = 1;
  Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT: implicit, like PyTorch's int args
  Size2(std::int64_t h_, std::int64_t w_) : h(h_), w(w_) {}
};

inline std::ostream& operator<<(std::ostream& os, Size2 s) {
  return os << "[" << s.h << "," << s.w << "]";
}

// y [N,C,Ho,Wo] and, per output cell, the flat index (h * W + w, i64) of the input cell that
// won inside its H·W plane; backward routes the gradient there.
struct MaxPool2dForward {
  Tensor y;
  Tensor indices;
};

// Max over each window; padded cells count as -inf, NaN wins (propagates). Requires a 4-D
// floating x, kernel >= 1, stride >= 1 (default: kernel), 0 <= padding <= kernel / 2, and
// an output of at least 1x1.
MaxPool2dForward max_pool2d_forward(const Tensor& x, Size2 kernel,
                                    std::optional<Size2> stride = std::nullopt, Size2 padding = 0);
// dx [input_shape] with each dy cell added at its argmax; dy and indices as forward made.
Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& input_shape);

// Mean over each window. count_include_pad divides by the window's extent in the padded
// input (PyTorch's default), otherwise by the number of real cells. Same requirements as
// max_pool2d_forward.
Tensor avg_pool2d_forward(const Tensor& x, Size2 kernel, std::optional<Size2> stride = std::nullopt,
                          Size2 padding = 0, bool count_include_pad = true);
// dx [input_shape]: each dy cell spread evenly (by the forward's divisor) over its window.
Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, Size2 kernel,
                           std::optional<Size2> stride = std::nullopt, Size2 padding = 0,
                           bool count_include_pad = true);

// Adaptive average pool to 1x1: [N,C,H,W] -> [N,C,1,1], the mean of each plane.
Tensor global_avg_pool2d_forward(const Tensor& x);
// dx [input_shape] = dy / (H·W) broadcast over each plane; dy is [N,C,1,1].
Tensor global_avg_pool2d_backward(const Tensor& dy, const Shape& input_shape);

}  // namespace hs::ops
