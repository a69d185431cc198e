#include "nn/adamw.h"

#include <cmath>

#include "kernels/optim_math.h"
#include "ops/dispatch.h"

#if HSNET_WITH_CUDA
#include "cuda/optim.h"
#endif

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

}  // namespace

AdamW::AdamW(const NamedParameters& params, AdamWOptions options)
    : Optimizer("adamw",
                make_param_groups(params, checked(options).lr, options.weight_decay,
                                  options.no_decay_bn_and_bias),
                {"exp_avg", "exp_avg_sq"}, /*saves_param_steps=*/true),
      options_(options) {}

void AdamW::update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                   ParamState& state) {
  const AdamWOptions& o = options_;
  const double t = static_cast<double>(state.steps);
  const AdamWCoefficients<double> c{1.0 - group.lr * group.weight_decay,
                                    o.beta1,
                                    o.beta2,
                                    1.0 - o.beta1,
                                    1.0 - o.beta2,
                                    group.lr / (1.0 - std::pow(o.beta1, t)),
                                    std::sqrt(1.0 - std::pow(o.beta2, t)),
                                    o.eps};
  const Tensor& exp_avg = state.buffers[0];
  const Tensor& exp_avg_sq = state.buffers[1];
  if (param.is_cuda()) {
    HS_CUDA_CALL("adamw",
                 cuda::adamw_update(param.dtype(), param.numel(), param.data_ptr(),
                                    exp_avg.data_ptr(), exp_avg_sq.data_ptr(), grad.data_ptr(), c));
    return;
  }
  dispatch_floating(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    adamw_cpu<T>(param, exp_avg, exp_avg_sq, grad, cast_coefficients<T>(c));
  });
}

}  // namespace hs::nn
