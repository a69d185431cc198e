#include "ops/optim.h"

#include "cuda/optim.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {

namespace {

template <class T>
void sgd_cpu(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  T* p = param.data<T>();
  const T* g = grad.data<T>();
  const std::int64_t n = param.numel();
  const T lr_t = static_cast<T>(lr), wd_t = static_cast<T>(weight_decay);
#pragma omp parallel for simd schedule(static) if (n > kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) sgd_update(p[i], g[i], lr_t, wd_t);
}

template <class T>
void sgd_momentum_cpu(const Tensor& param, const Tensor& buffer, const Tensor& grad,
                      const SgdCoefficients<T>& c) {
  T* p = param.data<T>();
  T* buf = buffer.data<T>();
  const T* g = grad.data<T>();
  const std::int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) sgd_momentum_update(p[i], buf[i], g[i], c);
}

template <class T>
void adamw_cpu(const Tensor& param, const Tensor& exp_avg, const Tensor& exp_avg_sq,
               const Tensor& grad, const AdamWCoefficients<T>& c) {
  T* p = param.data<T>();
  T* m = exp_avg.data<T>();
  T* v = exp_avg_sq.data<T>();
  const T* g = grad.data<T>();
  const std::int64_t n = param.numel();
#pragma omp parallel for simd schedule(static) if (n > kParallelWork)
  for (std::int64_t i = 0; i < n; ++i) adamw_update(p[i], m[i], v[i], g[i], c);
}

}  // namespace

void sgd_update_(const Tensor& param, const Tensor& grad, double lr, double weight_decay) {
  return dispatch(
      "sgd", param,
      [&] {
        dispatch_floating(param.dtype(),
                          [&](auto tag) { sgd_cpu<decltype(tag)>(param, grad, lr, weight_decay); });
      },
      [&] {
        cuda::sgd_update(param.dtype(), param.numel(), param.data_ptr(), grad.data_ptr(), lr,
                         weight_decay);
      });
}

void sgd_momentum_update_(const Tensor& param, const Tensor& buffer, const Tensor& grad,
                          const SgdCoefficients<double>& c) {
  return dispatch(
      "sgd", param,
      [&] {
        dispatch_floating(param.dtype(), [&](auto tag) {
          using T = decltype(tag);
          sgd_momentum_cpu<T>(param, buffer, grad, cast_coefficients<T>(c));
        });
      },
      [&] {
        cuda::sgd_momentum_update(param.dtype(), param.numel(), param.data_ptr(), buffer.data_ptr(),
                                  grad.data_ptr(), c);
      });
}

void adamw_update_(const Tensor& param, const Tensor& exp_avg, const Tensor& exp_avg_sq,
                   const Tensor& grad, const AdamWCoefficients<double>& c) {
  return dispatch(
      "adamw", param,
      [&] {
        dispatch_floating(param.dtype(), [&](auto tag) {
          using T = decltype(tag);
          adamw_cpu<T>(param, exp_avg, exp_avg_sq, grad, cast_coefficients<T>(c));
        });
      },
      [&] {
        cuda::adamw_update(param.dtype(), param.numel(), param.data_ptr(), exp_avg.data_ptr(),
                           exp_avg_sq.data_ptr(), grad.data_ptr(), c);
      });
}

}  // namespace hs::ops
