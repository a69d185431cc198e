#include "nn/sgd.h"

#include <cmath>

#include "kernels/optim_math.h"
#include "ops/dispatch.h"

#if HSNET_WITH_CUDA
#include "cuda/optim.h"
#endif

namespace hs::nn {

namespace {

constexpr std::int64_t kParallelWork = 32768;

const SgdOptions& checked(const SgdOptions& o) {
  HS_CHECK(std::isfinite(o.lr) && o.lr > 0.0, "sgd: lr must be > 0, got ", o.lr);
  HS_CHECK(std::isfinite(o.momentum) && o.momentum >= 0.0, "sgd: momentum must be >= 0, got ",
           o.momentum);
  HS_CHECK(std::isfinite(o.dampening), "sgd: dampening must be finite, got ", o.dampening);
  HS_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
           "sgd: weight_decay must be >= 0, got ", o.weight_decay);
  HS_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
           "sgd: nesterov needs momentum > 0 and dampening 0, got momentum ", o.momentum,
           " and dampening ", o.dampening);
  return o;
}

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

}  // namespace

SGD::SGD(const NamedParameters& params, SgdOptions options)
    : Optimizer("sgd",
                make_param_groups(params, checked(options).lr, options.weight_decay,
                                  options.no_decay_bn_and_bias),
                options.momentum > 0.0 ? std::vector<std::string>{"momentum_buffer"}
                                       : std::vector<std::string>{},
                /*saves_param_steps=*/false),
      options_(options) {}

void SGD::update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                 ParamState& state) {
  const SgdCoefficients<double> c{group.lr,
                                  group.weight_decay,
                                  options_.momentum,
                                  1.0 - options_.dampening,
                                  options_.nesterov,
                                  /*first_step=*/state.steps == 1};
  const bool momentum = !state.buffers.empty();
  if (param.is_cuda()) {
    if (momentum)
      HS_CUDA_CALL("sgd",
                   cuda::sgd_momentum_update(param.dtype(), param.numel(), param.data_ptr(),
                                             state.buffers.front().data_ptr(), grad.data_ptr(), c));
    else
      HS_CUDA_CALL("sgd", cuda::sgd_update(param.dtype(), param.numel(), param.data_ptr(),
                                           grad.data_ptr(), c.lr, c.weight_decay));
    return;
  }
  dispatch_floating(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (momentum)
      sgd_momentum_cpu<T>(param, state.buffers.front(), grad, cast_coefficients<T>(c));
    else
      sgd_cpu<T>(param, grad, c.lr, c.weight_decay);
  });
}

}  // namespace hs::nn
