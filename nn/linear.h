#pragma once
// Linear: y = x·Wᵀ + b for x [N, in], with W [out, in] and b [out] both uniform in
// ±1/√in (the initialisation this project fixes for linear layers).
#include "nn/module.h"

namespace hs::nn {

class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, bool bias = true);
  std::string type_name() const override { return "Linear"; }
  Variable forward(const Variable& x) override;
  std::int64_t macs(const Shape& input, const Shape& output) const override;
  std::string extra_repr() const override;

  Variable weight, bias;

 private:
  std::int64_t in_, out_;
};

}  // namespace hs::nn
