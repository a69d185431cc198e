// Differentiable cross-entropy: forward through ops::cross_entropy_forward, one node per call
// whose backward calls ops::cross_entropy_backward.
#include "autograd/loss.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/function_helpers.h"
#include "ops/loss.h"

namespace hs {

namespace {

class CrossEntropyBackward : public Node {
 public:
  CrossEntropyBackward(Tensor softmax, Tensor labels, double label_smoothing)
      : softmax_(std::move(softmax)),
        labels_(std::move(labels)),
        label_smoothing_(label_smoothing) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    return {ops::cross_entropy_backward(grads[0], softmax_, labels_, label_smoothing_)};
  }
  std::string name() const override { return "CrossEntropyBackward"; }
  void release_saved() override {
    softmax_ = labels_ = Tensor();
    released_ = true;
  }

 private:
  Tensor softmax_, labels_;
  double label_smoothing_;
};

}  // namespace

Variable cross_entropy(const Variable& logits, const Tensor& labels, double label_smoothing) {
  check_defined_input("cross_entropy", logits, "logits");
  ops::CrossEntropyForward f = ops::cross_entropy_forward(logits.data(), labels, label_smoothing);
  if (!needs_grad(logits)) return Variable(std::move(f.loss));
  // The labels are copied so that a loader reusing its buffer cannot change them before
  // backward.
  return record(
      std::make_shared<CrossEntropyBackward>(std::move(f.softmax), labels.clone(), label_smoothing),
      std::move(f.loss), logits);
}

}  // namespace hs
