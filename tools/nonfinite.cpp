#include "tools/nonfinite.h"

#include <cmath>

#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace hs::tools {

namespace {

// sum(t) * 0 is 0 for finite values and NaN as soon as one value is NaN or infinite, so
// the finiteness of many tensors folds into one scalar read once.
Tensor nonfinite_probe(const Tensor& t) { return ops::mul(ops::sum(t), 0.0); }

bool is_finite(const Tensor& t) {
  return t.numel() == 0 || std::isfinite(nonfinite_probe(t).item());
}

}  // namespace

std::string first_nonfinite_tensor(const nn::Module& model) {
  const nn::StateDict state = model.state_dict();
  Tensor total;
  for (const auto& [name, tensor] : state) {
    if (tensor.numel() == 0 || tensor.dtype() == DType::i64) continue;
    const Tensor probe = nonfinite_probe(tensor);
    total = total.defined() ? ops::add(total, probe) : probe;
  }
  if (!total.defined() || std::isfinite(total.item())) return "";
  for (const auto& [name, tensor] : state)
    if (tensor.dtype() != DType::i64 && !is_finite(tensor)) return name;
  return "";
}

NonfiniteRows nonfinite_rows(const Tensor& logits) {
  NonfiniteRows r;
  if (is_finite(logits)) return r;
  const Tensor host = logits.to(Device::cpu()).to(DType::f64).contiguous();
  const std::int64_t rows = host.size(0), classes = host.size(1);
  const double* p = host.data<double>();
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t c = 0; c < classes; ++c)
      if (!std::isfinite(p[i * classes + c])) {
        if (r.first < 0) r.first = i;
        ++r.count;
        break;
      }
  return r;
}

}  // namespace hs::tools
