#pragma once
// Sequential: children named "0", "1", ... applied in order. Also used as a plain list of
// modules (ModuleList) when a parent indexes its children itself; such a list must not
// hold a Conv2d directly followed by a BatchNorm2d unless the one feeds the other, since
// fold_batch_norms folds every such neighbouring pair (forward chains them).
#include <memory>
#include <vector>

#include "nn/module.h"

namespace hs::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> modules);
  std::string type_name() const override { return "Sequential"; }
  Variable forward(const Variable& x) override;

  void push_back(std::shared_ptr<Module> m);
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  Module& operator[](std::size_t i) const { return *items_.at(i); }
  template <class M>
  M& at(std::size_t i) const {
    return dynamic_cast<M&>(*items_.at(i));
  }

 protected:
  void fold_own_batch_norms() override;

 private:
  std::vector<std::shared_ptr<Module>> items_;
};

}  // namespace hs::nn
