// Differentiable elementwise math. Each node saves the one tensor its derivative is
// written in: the output for relu, exp, sigmoid and tanh, the input for log.
#include <utility>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "ops/elementwise.h"

namespace hs {

namespace {

using ops::UnaryOp;

class UnaryBackward : public Node {
 public:
  // x or y may be undefined: ops::unary_backward reads only the one `op` needs.
  UnaryBackward(UnaryOp op, const char* name, Tensor x, Tensor y)
      : op_(op), name_(name), x_(std::move(x)), y_(std::move(y)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    return {ops::unary_backward(op_, grads[0], x_, y_)};
  }
  std::string name() const override { return name_; }
  void release_saved() override {
    x_ = y_ = Tensor();
    released_ = true;
  }

 private:
  UnaryOp op_;
  const char* name_;
  Tensor x_, y_;
};

Variable unary(UnaryOp op, const char* node_name, bool saves_input, const Variable& x) {
  Tensor out = ops::unary(op, x.data());
  if (!needs_grad(x)) return Variable(std::move(out));
  Tensor saved_x = saves_input ? x.data() : Tensor();
  Tensor saved_y = saves_input ? Tensor() : out;
  return record(std::make_shared<UnaryBackward>(op, node_name, saved_x, saved_y), std::move(out),
                x);
}

}  // namespace

Variable relu(const Variable& x) { return unary(UnaryOp::relu, "ReluBackward", false, x); }
Variable exp(const Variable& x) { return unary(UnaryOp::exp, "ExpBackward", false, x); }
Variable log(const Variable& x) { return unary(UnaryOp::log, "LogBackward", true, x); }
Variable sigmoid(const Variable& x) { return unary(UnaryOp::sigmoid, "SigmoidBackward", false, x); }
Variable tanh(const Variable& x) { return unary(UnaryOp::tanh, "TanhBackward", false, x); }

}  // namespace hs
