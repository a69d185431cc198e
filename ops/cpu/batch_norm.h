#pragma once
// The CPU implementation of batch norm and its fused ReLU (ops/batch_norm.h), called by its
// dispatch once the arguments are checked. Internal to ops/.
#include "core/tensor.h"
#include "ops/batch_norm.h"

namespace hs::ops::detail {

// relu(batch_norm(x) + residual) when residual is defined (then relu is set), else
// batch_norm(x), followed by a ReLU when relu is set.
BatchNormForward batch_norm_forward_cpu(bool relu, const Tensor& x, const Tensor& residual,
                                        const Tensor& gamma, const Tensor& beta,
                                        const Tensor& running_mean, const Tensor& running_var,
                                        bool training, double momentum, double eps);

// The gradients from dy; y (the forward's output) is defined for the fused ReLU's backward.
BatchNormGrads batch_norm_backward_cpu(const Tensor& dy, const Tensor& y, const Tensor& x,
                                       const Tensor& gamma, const Tensor& save_mean,
                                       const Tensor& save_invstd, bool training);

}  // namespace hs::ops::detail
