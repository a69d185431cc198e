#pragma once
// SGD: stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
// L2 weight decay, with torch.optim.SGD's formulas (see sgd_momentum_update in optim_math.h).
// State: "momentum_buffer.<param>" for each updated parameter when momentum > 0.
#include "nn/optimizer.h"

namespace hs::nn {

// Hyper-parameters of SGD. no_decay_bn_and_bias exempts the parameters with ndim == 1
// (BatchNorm γ/β and biases) from weight decay.
struct SgdOptions {
  double lr;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;
  bool no_decay_bn_and_bias = false;
};

class SGD : public Optimizer {
 public:
  // Requires lr > 0, momentum >= 0, weight_decay >= 0, and for nesterov momentum > 0 with
  // dampening 0; otherwise an hs::Error names the option and its value.
  SGD(const NamedParameters& params, SgdOptions options);
  const SgdOptions& options() const { return options_; }

 protected:
  void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
              ParamState& state) override;

 private:
  SgdOptions options_;
};

}  // namespace hs::nn
