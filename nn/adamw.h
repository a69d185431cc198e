#pragma once
// AdamW: Adam with decoupled weight decay (Loshchilov & Hutter), with torch.optim.AdamW's
// formulas and per-parameter bias correction (see adamw_update in optim_math.h).
// State per updated parameter: "exp_avg.<param>", "exp_avg_sq.<param>" and "step.<param>".
#include "nn/optimizer.h"

namespace hs::nn {

// Hyper-parameters of AdamW (PyTorch's defaults). no_decay_bn_and_bias exempts the
// parameters with ndim == 1 (BatchNorm γ/β and biases) from weight decay.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.01;
  bool no_decay_bn_and_bias = false;
};

class AdamW : public Optimizer {
 public:
  // Requires lr > 0, beta1 and beta2 in [0, 1), eps > 0 and weight_decay >= 0; otherwise
  // an hs::Error names the option and its value.
  AdamW(const NamedParameters& params, AdamWOptions options = {});
  const AdamWOptions& options() const { return options_; }

 protected:
  void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
              ParamState& state) override;

 private:
  AdamWOptions options_;
};

}  // namespace hs::nn
