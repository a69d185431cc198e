#include "nn/adamw.h"

#include <cmath>

#include "nn/optim_math.h"

namespace hs::nn {

namespace {

constexpr std::int64_t kParallelWork = 32768;

const AdamWOptions& checked(const AdamWOptions& o) {
  HS_CHECK(std::isfinite(o.lr) && o.lr > 0.0, "adamw: lr must be > 0, got ", o.lr);
  HS_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0, "adamw: beta1 must be in [0, 1), got ", o.beta1);
  HS_CHECK(o.beta2 >= 0.0 && o.beta2 < 1.0, "adamw: beta2 must be in [0, 1), got ", o.beta2);
  HS_CHECK(std::isfinite(o.eps) && o.eps > 0.0, "adamw: eps must be > 0, got ", o.eps);
  HS_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
           "adamw: weight_decay must be >= 0, got ", o.weight_decay);
  return o;
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

template <class T>
void adamw_dispatch(const AdamWOptions& o, double lr, double weight_decay, std::int64_t step,
                    const Tensor& param, const Tensor& grad, const std::vector<Tensor>& buffers) {
  const double t = static_cast<double>(step);
  const AdamWCoefficients<T> c{static_cast<T>(1.0 - lr * weight_decay),
                               static_cast<T>(o.beta1),
                               static_cast<T>(o.beta2),
                               static_cast<T>(1.0 - o.beta1),
                               static_cast<T>(1.0 - o.beta2),
                               static_cast<T>(lr / (1.0 - std::pow(o.beta1, t))),
                               static_cast<T>(std::sqrt(1.0 - std::pow(o.beta2, t))),
                               static_cast<T>(o.eps)};
  adamw_cpu<T>(param, buffers[0], buffers[1], grad, c);
}

}  // namespace

AdamW::AdamW(const NamedParameters& params, AdamWOptions options)
    : Optimizer("adamw",
                make_param_groups(params, checked(options).lr, options.weight_decay,
                                  options.no_decay_bn_and_bias),
                {"exp_avg", "exp_avg_sq"}, /*saves_param_steps=*/true),
      options_(options) {}

void AdamW::update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                   ParamState& state) {
  if (param.dtype() == DType::f32)
    adamw_dispatch<float>(options_, group.lr, group.weight_decay, state.steps, param, grad,
                          state.buffers);
  else
    adamw_dispatch<double>(options_, group.lr, group.weight_decay, state.steps, param, grad,
                           state.buffers);
}

}  // namespace hs::nn
