#pragma once
// Softmax over one dimension of a floating tensor of any shape (no autograd):
// y = exp(x − max x) / Σ exp(x − max x) along `dim`, and its backward
// dx = y ⊙ (dy − Σ_dim dy ⊙ y). A NaN in a row makes that row NaN. The row arithmetic is
// kernels/softmax_math.h, the same on both devices.
#include <cstdint>

#include "core/tensor.h"

namespace hs::ops {

// dim may be negative (counted from the end). Requires a defined f32/f64 tensor with at
// least one dimension; the output is contiguous, on x's device.
Tensor softmax_forward(const Tensor& x, std::int64_t dim);
// Requires y (the forward's output) and dy of one shape, dtype and device.
Tensor softmax_backward(const Tensor& y, const Tensor& dy, std::int64_t dim);

}  // namespace hs::ops
