#include "dist/all_reduce_function.h"

#include <utility>

#include "autograd/function_helpers.h"

namespace hs::dist {

namespace {

class AllReduceSumBackward : public Node {
 public:
  AllReduceSumBackward(ProcessGroup& group, Tensor input)
      : group_(group), input_(std::move(input)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    // Every rank must take part even when its own gradient is missing.
    Tensor g = grads[0].defined() ? grads[0].contiguous().clone() : zeros_like(input_);

    group_.allreduce_sum(g);
    return {g};
  }
  std::string name() const override { return "AllReduceSumBackward"; }

 private:
  ProcessGroup& group_;
  Tensor input_;  // only its shape, dtype and device are used
};

}  // namespace

Variable all_reduce_sum(const Variable& x, ProcessGroup& group) {
  Tensor y = x.data().contiguous().clone();
  group.allreduce_sum(y);
  if (!needs_grad(x)) return Variable(y);
  return record(std::make_shared<AllReduceSumBackward>(group, y), y, x);
}

}  // namespace hs::dist
