#pragma once
// The per-element update rules of the optimizers, shared by the CPU loops and the CUDA
// kernels (cuda/optim.cu). Each rule follows torch.optim's formulas and order of operations.
// The coefficients are computed once per parameter tensor (in double) and passed in the
// element type, so the loops do no per-element work beyond the formula.
#include <cmath>

#include "core/host_device.h"

namespace hs::ops {

// Coefficients of one SGD update with momentum. first_step is set on a parameter's first
// update, when PyTorch initialises the momentum buffer with the gradient itself.
template <class T>
struct SgdCoefficients {
  T lr;
  T weight_decay;
  T momentum;
  T one_minus_dampening;
  bool nesterov;
  bool first_step;
};

// The coefficients converted to the element type T (from the double ones the optimizers
// compute), field by field.
template <class T, class U>
SgdCoefficients<T> cast_coefficients(const SgdCoefficients<U>& c) {
  return {static_cast<T>(c.lr),
          static_cast<T>(c.weight_decay),
          static_cast<T>(c.momentum),
          static_cast<T>(c.one_minus_dampening),
          c.nesterov,
          c.first_step};
}

// SGD without momentum: g = grad + wd·p; p −= lr·g.
template <class T>
HS_HOST_DEVICE void sgd_update(T& param, T grad, T lr, T weight_decay) {
  const T g = grad + weight_decay * param;
  param -= lr * g;
}

// SGD with momentum: g = grad + wd·p; buf = momentum·buf + (1 − dampening)·g (buf = g on
// the first step); p −= lr·(nesterov ? g + momentum·buf : buf).
template <class T>
HS_HOST_DEVICE void sgd_momentum_update(T& param, T& buffer, T grad, const SgdCoefficients<T>& c) {
  const T g = grad + c.weight_decay * param;
  buffer = c.first_step ? g : c.momentum * buffer + c.one_minus_dampening * g;
  param -= c.lr * (c.nesterov ? g + c.momentum * buffer : buffer);
}

// Coefficients of one AdamW update at a parameter's step t (1-based).
template <class T>
struct AdamWCoefficients {
  T decay_factor;  // 1 − lr·weight_decay
  T beta1;
  T beta2;
  T one_minus_beta1;
  T one_minus_beta2;
  T step_size;              // lr / (1 − β1^t)
  T bias_correction2_sqrt;  // √(1 − β2^t)
  T eps;
};

template <class T, class U>
AdamWCoefficients<T> cast_coefficients(const AdamWCoefficients<U>& c) {
  return {static_cast<T>(c.decay_factor),
          static_cast<T>(c.beta1),
          static_cast<T>(c.beta2),
          static_cast<T>(c.one_minus_beta1),
          static_cast<T>(c.one_minus_beta2),
          static_cast<T>(c.step_size),
          static_cast<T>(c.bias_correction2_sqrt),
          static_cast<T>(c.eps)};
}

// AdamW: p ·= 1 − lr·wd (decoupled decay); m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
// p −= lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps), which is lr·m̂/(√v̂ + eps).
template <class T>
HS_HOST_DEVICE void adamw_update(T& param, T& exp_avg, T& exp_avg_sq, T grad,
                                 const AdamWCoefficients<T>& c) {
  param *= c.decay_factor;
  exp_avg = c.beta1 * exp_avg + c.one_minus_beta1 * grad;
  exp_avg_sq = c.beta2 * exp_avg_sq + c.one_minus_beta2 * grad * grad;
  const T denom = std::sqrt(exp_avg_sq) / c.bias_correction2_sqrt + c.eps;
  param -= c.step_size * (exp_avg / denom);
}

}  // namespace hs::ops
