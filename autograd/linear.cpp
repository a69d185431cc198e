// Differentiable linear layer: forward through ops::linear_forward, one node per call whose
// backward calls ops::linear_backward.
#include "autograd/linear.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/function_helpers.h"
#include "ops/linear.h"

namespace hs {

namespace {

// Edges: x, w, b (null without bias). Keeps both operands: each one's gradient needs the
// other, and ops::linear_backward checks the shapes of both.
class LinearBackward : public Node {
 public:
  LinearBackward(Tensor x, Tensor w) : x_(std::move(x)), w_(std::move(w)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    ops::LinearGrads g =
        ops::linear_backward(grads[0], x_, w_, input_needs_grad(*this, 0),
                             input_needs_grad(*this, 1), input_needs_grad(*this, 2));
    return {std::move(g.dx), std::move(g.dw), std::move(g.db)};
  }
  std::string name() const override { return "LinearBackward"; }
  void release_saved() override {
    x_ = w_ = Tensor();
    released_ = true;
  }

 private:
  Tensor x_, w_;
};

}  // namespace

Variable linear(const Variable& x, const Variable& w, const Variable& b) {
  check_defined_input("linear", x, "input");
  check_defined_input("linear", w, "weight");
  Tensor y = ops::linear_forward(x.data(), w.data(), data_if_defined(b));
  const bool needs_node =
      grad_enabled() && (x.requires_grad() || w.requires_grad() || requires_grad_if_defined(b));
  if (!needs_node) return Variable(std::move(y));
  return link(std::make_shared<LinearBackward>(x.data(), w.data()), std::move(y),
              {x.gradient_edge(), w.gradient_edge(), edge_if_defined(b)});
}

}  // namespace hs
