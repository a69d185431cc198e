#pragma once
// AccumulateGrad: the node at the end of every path to a leaf that requires grad. The
// engine sums all contributions to the leaf first, then this node adds the total into
// the leaf's .grad (stored as is the first time, added in place afterwards).
#include <functional>
#include <memory>
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

  // Calls `hook` each time this node has added a backward's gradient into the leaf's .grad,
  // when that backward's gradient of the leaf is final (where data-parallel training starts
  // reducing it while the backward goes on). Hooks run in the order added.
  void add_post_accumulate_hook(std::function<void()> hook);
  void clear_post_accumulate_hooks() { hooks_.clear(); }

 private:
  Variable leaf_;
  std::vector<std::function<void()>> hooks_;
};

// The accumulator node of a leaf that requires grad. The leaf refers to it weakly, so hooks
// added to it last as long as the caller keeps this pointer (every graph built meanwhile
// ends in this same node).
std::shared_ptr<AccumulateGrad> grad_accumulator(const Variable& leaf);

}  // namespace hs
