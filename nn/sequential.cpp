#include "nn/sequential.h"

#include "nn/batch_norm.h"
#include "nn/conv2d.h"

namespace hs::nn {

Sequential::Sequential(std::vector<std::shared_ptr<Module>> modules) {
  for (auto& m : modules) push_back(std::move(m));
}

void Sequential::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(items_.size()), m);
  items_.push_back(std::move(m));
}

Variable Sequential::forward(const Variable& x) {
  Variable y = x;
  for (auto& m : items_) y = (*m)(y);
  return y;
}

void Sequential::fold_own_batch_norms() {
  for (std::size_t i = 0; i + 1 < items_.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(items_[i].get());
    auto* bn = dynamic_cast<BatchNorm2d*>(items_[i + 1].get());
    if (conv && bn) bn->fold_into(*conv);
  }
}

}  // namespace hs::nn
