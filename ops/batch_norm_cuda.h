#pragma once
// The CUDA path of batch norm and its fused ReLU (ops/batch_norm.h), taken by
// batch_norm.cpp once it has checked the arguments (shapes, dtypes, devices, mode): it lays
// the operands out for cuda/batch_norm.cu and allocates the results on the GPU. Built only
// with CUDA.
#include "core/tensor.h"
#include "ops/batch_norm.h"

namespace hs::ops::detail {

// batch_norm_forward, or batch_norm_relu_forward when relu is set.
BatchNormForward batch_norm_forward_cuda(bool relu, const Tensor& x, const Tensor& gamma,
                                         const Tensor& beta, const Tensor& running_mean,
                                         const Tensor& running_var, bool training, double momentum,
                                         double eps);

// batch_norm_backward, or batch_norm_relu_backward when y (the fused forward's output) is
// defined.
BatchNormGrads batch_norm_backward_cuda(const Tensor& dy, const Tensor& y, const Tensor& x,
                                        const Tensor& gamma, const Tensor& save_mean,
                                        const Tensor& save_invstd, bool training);

}  // namespace hs::ops::detail
