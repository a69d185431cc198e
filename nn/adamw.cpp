#include "nn/adamw.h"

#include <cmath>

#include "core/error.h"
#include "ops/optim.h"

namespace hs::nn {

namespace {

const AdamWOptions& checked(const AdamWOptions& o) {
  HS_CHECK(std::isfinite(o.lr) && o.lr > 0.0, "adamw: lr must be > 0, got ", o.lr);
  HS_CHECK(o.beta1 >= 0.0 && o.beta1 < 1.0, "adamw: beta1 must be in [0, 1), got ", o.beta1);
  HS_CHECK(o.beta2 >= 0.0 && o.beta2 < 1.0, "adamw: beta2 must be in [0, 1), got ", o.beta2);
  HS_CHECK(std::isfinite(o.eps) && o.eps > 0.0, "adamw: eps must be > 0, got ", o.eps);
  HS_CHECK(std::isfinite(o.weight_decay) && o.weight_decay >= 0.0,
           "adamw: weight_decay must be >= 0, got ", o.weight_decay);
  return o;
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
  const ops::AdamWCoefficients<double> c{1.0 - group.lr * group.weight_decay,
                                         o.beta1,
                                         o.beta2,
                                         1.0 - o.beta1,
                                         1.0 - o.beta2,
                                         group.lr / (1.0 - std::pow(o.beta1, t)),
                                         std::sqrt(1.0 - std::pow(o.beta2, t)),
                                         o.eps};
  ops::adamw_update_(param, state.buffers[0], state.buffers[1], grad, c);
}

}  // namespace hs::nn
