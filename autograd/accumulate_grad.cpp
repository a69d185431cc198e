#include "autograd/accumulate_grad.h"

#include <limits>
#include <utility>

#include "autograd/function_helpers.h"
#include "ops/elementwise.h"

namespace hs {

AccumulateGrad::AccumulateGrad(Variable leaf) : leaf_(std::move(leaf)) {
  // Leaves run as soon as they are ready, so their summed gradient buffers are freed early.
  sequence_nr = std::numeric_limits<std::uint64_t>::max();
}

std::vector<Tensor> AccumulateGrad::apply(std::vector<Tensor>&& grads) {
  Tensor& incoming = grads[0];
  if (!incoming.defined()) return {};
  Tensor current = leaf_.grad();
  if (!current.defined()) {
    // .grad must never alias another tensor (a view handed out by cat's backward, the
    // caller's explicit gradient, an expanded view), so only a sole owner is kept as is.
    leaf_.set_grad(is_sole_owner(incoming) ? std::move(incoming) : incoming.clone());
  } else {
    ops::add_(current, incoming);
  }
  for (const auto& hook : hooks_) hook();
  return {};
}

void AccumulateGrad::add_post_accumulate_hook(std::function<void()> hook) {
  hooks_.push_back(std::move(hook));
}

std::shared_ptr<AccumulateGrad> grad_accumulator(const Variable& leaf) {
  HS_CHECK(leaf.defined() && leaf.is_leaf() && leaf.requires_grad(),
           "grad_accumulator: only a defined leaf that requires grad accumulates a gradient");
  return std::static_pointer_cast<AccumulateGrad>(leaf.gradient_edge().node);
}

}  // namespace hs
