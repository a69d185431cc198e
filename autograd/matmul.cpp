// Differentiable matrix product (2-D, or batched 3-D). Backward multiplies by the other
// operand's transposed view, which ops::matmul hands to BLAS with a transpose flag.
#include "ops/matmul.h"

#include <utility>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"

namespace hs {

namespace {

// C = A·B: dA = dC·Bᵀ, dB = Aᵀ·dC. Each operand is saved only when the other needs it.
class MatmulBackward : public Node {
 public:
  MatmulBackward(Tensor a, Tensor b) : a_(std::move(a)), b_(std::move(b)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (input_needs_grad(*this, 0)) ga = ops::matmul(g, b_.transpose(-1, -2));
    if (input_needs_grad(*this, 1)) gb = ops::matmul(a_.transpose(-1, -2), g);
    return {std::move(ga), std::move(gb)};
  }
  std::string name() const override { return "MatmulBackward"; }
  void release_saved() override {
    a_ = b_ = Tensor();
    released_ = true;
  }

 private:
  Tensor a_, b_;
};

}  // namespace

Variable matmul(const Variable& a, const Variable& b) {
  Tensor out = ops::matmul(a.data(), b.data());
  if (!needs_grad(a, b)) return Variable(std::move(out));
  Tensor saved_a = b.requires_grad() ? a.data() : Tensor();
  Tensor saved_b = a.requires_grad() ? b.data() : Tensor();
  return record(std::make_shared<MatmulBackward>(saved_a, saved_b), std::move(out), a, b);
}

}  // namespace hs
