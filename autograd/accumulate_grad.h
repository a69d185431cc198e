#pragma once
// AccumulateGrad: the node at the end of every path to a leaf that requires grad. The
// engine sums all contributions to the leaf first, then this node adds the total into
// the leaf's .grad (stored as is the first time, added in place afterwards).
#include <string>
#include <vector>

#include "autograd/node.h"
#include "autograd/variable.h"

namespace hs {

// Requires a leaf variable. Holding the leaf keeps it alive while a graph refers to it; no
// cycle arises because the leaf refers back to this node only weakly.
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(Variable leaf);
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override;
  std::string name() const override { return "AccumulateGrad"; }

 private:
  Variable leaf_;
};

}  // namespace hs
