#include "nn/linear.h"

#include <cmath>

#include "autograd/linear.h"
#include "nn/init.h"

namespace hs::nn {

Linear::Linear(std::int64_t in_features, std::int64_t out_features, bool with_bias)
    : in_(in_features), out_(out_features) {
  HS_CHECK(in_features > 0 && out_features > 0, "Linear: features must be positive, got ",
           in_features, " -> ", out_features);
  const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight = Variable(uniform({out_features, in_features}, bound));
  register_parameter("weight", &weight);
  if (with_bias) {
    bias = Variable(uniform({out_features}, bound));
    register_parameter("bias", &bias);
  }
}

Variable Linear::forward(const Variable& x) { return linear(x, weight, bias); }

std::int64_t Linear::macs(const Shape& input, const Shape&) const {
  const std::int64_t rows = input.numel() / in_;
  return rows * in_ * out_;
}

std::string Linear::extra_repr() const {
  return "in_features=" + std::to_string(in_) + ", out_features=" + std::to_string(out_) +
         (bias.defined() ? "" : ", bias=False");
}

}  // namespace hs::nn
