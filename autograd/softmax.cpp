#include "autograd/softmax.h"

#include <utility>

#include "autograd/function_helpers.h"
#include "ops/softmax.h"

namespace hs {

namespace {

class SoftmaxBackward : public Node {
 public:
  SoftmaxBackward(Tensor y, std::int64_t dim) : y_(std::move(y)), dim_(dim) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    return {ops::softmax_backward(y_, grads[0], dim_)};
  }
  std::string name() const override { return "SoftmaxBackward"; }
  void release_saved() override {
    y_ = Tensor();
    released_ = true;
  }

 private:
  Tensor y_;
  std::int64_t dim_;
};

}  // namespace

Variable softmax(const Variable& x, std::int64_t dim) {
  Tensor y = ops::softmax_forward(x.data(), dim);
  if (!needs_grad(x)) return Variable(std::move(y));
  return record(std::make_shared<SoftmaxBackward>(y, dim), y, x);
}

}  // namespace hs
