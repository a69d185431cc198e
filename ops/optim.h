#pragma once
// The optimizers' in-place parameter updates, for nn::SGD and nn::AdamW: each applies the
// per-element rule of kernels/optim_math.h to every element of a contiguous parameter, on
// the parameter's device (CPU loop or CUDA kernel), with the coefficients converted to the
// element type as on both devices. All tensors share the parameter's dtype, device and size.
#include "core/tensor.h"
#include "kernels/optim_math.h"

namespace hs::ops {

// param −= lr·(grad + weight_decay·param).
void sgd_update_(const Tensor& param, const Tensor& grad, double lr, double weight_decay);
// sgd_momentum_update with the momentum buffer `buffer`.
void sgd_momentum_update_(const Tensor& param, const Tensor& buffer, const Tensor& grad,
                          const SgdCoefficients<double>& c);
// adamw_update with the moment buffers exp_avg and exp_avg_sq.
void adamw_update_(const Tensor& param, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                   const Tensor& grad, const AdamWCoefficients<double>& c);

}  // namespace hs::ops
