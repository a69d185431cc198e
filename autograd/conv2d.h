#pragma once
// Differentiable 2-D convolution on NCHW Variables. The forward and the three gradients
// (input, weight, bias) are ops::conv2d_* calls; a ConvBackward node records the call when
// grad mode is on and an input requires grad.
#include <cstdint>

#include "autograd/variable.h"
#include "ops/conv2d.h"

namespace hs {

// y = conv2d(x, w) + b with x [N, Cin, H, W], w [Cout, Cin/groups, KH, KW] and b [Cout], or
// no bias when b is undefined. Requirements and errors as ops::conv2d_forward.
Variable conv2d(const Variable& x, const Variable& w, const Variable& b,
                const ops::Conv2dParams& params);

// The same with one stride, padding and dilation for both axes.
inline Variable conv2d(const Variable& x, const Variable& w, const Variable& b,
                       std::int64_t stride = 1, std::int64_t padding = 0, std::int64_t dilation = 1,
                       std::int64_t groups = 1) {
  return conv2d(x, w, b, ops::Conv2dParams::symmetric(stride, padding, dilation, groups));
}

}  // namespace hs
