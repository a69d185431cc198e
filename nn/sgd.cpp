#include "nn/sgd.h"

#include <cmath>

#include "core/error.h"
#include "ops/optim.h"

namespace hs::nn {

namespace {

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
  const ops::SgdCoefficients<double> c{group.lr,
                                       group.weight_decay,
                                       options_.momentum,
                                       1.0 - options_.dampening,
                                       options_.nesterov,
                                       /*first_step=*/state.steps == 1};
  if (state.buffers.empty())
    ops::sgd_update_(param, grad, c.lr, c.weight_decay);
  else
    ops::sgd_momentum_update_(param, state.buffers.front(), grad, c);
}

}  // namespace hs::nn
