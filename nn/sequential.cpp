#include "nn/sequential.h"

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

}  // namespace hs::nn
