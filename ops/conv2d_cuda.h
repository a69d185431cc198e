#pragma once
// The CUDA path of the 2-D convolution (ops/conv2d.h), taken by conv2d.cpp's public
// functions once they have checked their arguments (shapes, dtypes, devices): it lays the
// operands out for cuda/conv.cu and allocates the results on the GPU. Built only with CUDA.
#include "core/tensor.h"
#include "ops/conv2d.h"

namespace hs::ops::detail {

Tensor conv2d_forward_cuda(const Tensor& x, const Tensor& w, const Tensor& bias,
                           const Conv2dParams& params);
Tensor conv2d_backward_input_cuda(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                                  const Conv2dParams& params);
Tensor conv2d_backward_weight_cuda(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                                   const Conv2dParams& params);
Tensor conv2d_backward_bias_cuda(const Tensor& grad_out);

}  // namespace hs::ops::detail
