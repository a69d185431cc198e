#include "dist/all_reduce_function.h"

#include "autograd/function_helpers.h"

namespace hs::dist {

namespace {

class AllReduceSumBackward : public Node {
 public:
  explicit AllReduceSumBackward(ProcessGroup& group) : group_(group) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    Tensor g = grads[0].contiguous().clone();
    group_.allreduce_sum(g);
    return {g};
  }
  std::string name() const override { return "AllReduceSumBackward"; }

 private:
  ProcessGroup& group_;
};

}  // namespace

Variable all_reduce_sum(const Variable& x, ProcessGroup& group) {
  Tensor y = x.data().contiguous().clone();
  group.allreduce_sum(y);
  if (!needs_grad(x)) return Variable(y);
  return record(std::make_shared<AllReduceSumBackward>(group), y, x);
}

}  // namespace hs::dist
