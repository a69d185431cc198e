// Differentiable arithmetic: binary ops with broadcasting, their scalar variants, neg.
// Broadcast inputs get their gradient summed back to their own shape with ops::sum_to.
#include <utility>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace hs {

namespace {

using ops::BinaryOp;

// Gradient of a and b for a + b and a - b: the incoming gradient, summed to each shape.
class AddSubBackward : public Node {
 public:
  AddSubBackward(bool subtract, Shape a_shape, Shape b_shape)
      : subtract_(subtract), a_shape_(a_shape), b_shape_(b_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (input_needs_grad(*this, 0)) ga = ops::sum_to(g, a_shape_);
    if (input_needs_grad(*this, 1)) {
      gb = ops::sum_to(g, b_shape_);
      if (subtract_) gb = ops::neg(gb);
    }
    return {std::move(ga), std::move(gb)};
  }
  std::string name() const override { return subtract_ ? "SubBackward" : "AddBackward"; }

 private:
  bool subtract_;
  Shape a_shape_, b_shape_;
};

// d(a*b) = g*b, g*a. Each input is saved only when the other one needs its gradient.
class MulBackward : public Node {
 public:
  MulBackward(Shape a_shape, Shape b_shape, Tensor a, Tensor b)
      : a_shape_(a_shape), b_shape_(b_shape), a_(std::move(a)), b_(std::move(b)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (input_needs_grad(*this, 0)) ga = ops::sum_to(ops::mul(g, b_), a_shape_);
    if (input_needs_grad(*this, 1)) gb = ops::sum_to(ops::mul(g, a_), b_shape_);
    return {std::move(ga), std::move(gb)};
  }
  std::string name() const override { return "MulBackward"; }
  void release_saved() override {
    a_ = b_ = Tensor();
    released_ = true;
  }

 private:
  Shape a_shape_, b_shape_;
  Tensor a_, b_;
};

// d(a/b) = g/b, -g*out/b, with out = a/b saved instead of a (it is what gb needs).
class DivBackward : public Node {
 public:
  DivBackward(Shape a_shape, Tensor b, Tensor out)
      : a_shape_(a_shape), b_(std::move(b)), out_(std::move(out)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    const Tensor& g = grads[0];
    Tensor ga, gb;
    if (input_needs_grad(*this, 0)) ga = ops::sum_to(ops::div(g, b_), a_shape_);
    if (input_needs_grad(*this, 1))
      gb = ops::neg(ops::sum_to(ops::div(ops::mul(g, out_), b_), b_.shape()));
    return {std::move(ga), std::move(gb)};
  }
  std::string name() const override { return "DivBackward"; }
  void release_saved() override {
    b_ = out_ = Tensor();
    released_ = true;
  }

 private:
  Shape a_shape_;
  Tensor b_, out_;
};

// a + s and a - s pass the gradient through unchanged.
class AddScalarBackward : public Node {
 public:
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override { return {std::move(grads[0])}; }
  std::string name() const override { return "AddScalarBackward"; }
};

// a * s and a / s scale the gradient by the same scalar op.
class ScaleBackward : public Node {
 public:
  ScaleBackward(BinaryOp op, double s) : op_(op), s_(s) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::binary(op_, grads[0], s_)};
  }
  std::string name() const override {
    return op_ == BinaryOp::mul ? "MulScalarBackward" : "DivScalarBackward";
  }

 private:
  BinaryOp op_;
  double s_;
};

class NegBackward : public Node {
 public:
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override { return {ops::neg(grads[0])}; }
  std::string name() const override { return "NegBackward"; }
};

Variable add_or_sub(bool subtract, const Variable& a, const Variable& b) {
  Tensor out = ops::binary(subtract ? BinaryOp::sub : BinaryOp::add, a.data(), b.data());
  if (!needs_grad(a, b)) return Variable(std::move(out));
  return record(std::make_shared<AddSubBackward>(subtract, a.shape(), b.shape()), std::move(out), a,
                b);
}

Variable scalar_op(BinaryOp op, const Variable& a, double s) {
  Tensor out = ops::binary(op, a.data(), s);
  if (!needs_grad(a)) return Variable(std::move(out));
  std::shared_ptr<Node> node;
  if (op == BinaryOp::add || op == BinaryOp::sub)
    node = std::make_shared<AddScalarBackward>();
  else
    node = std::make_shared<ScaleBackward>(op, s);
  return record(node, std::move(out), a);
}

}  // namespace

Variable add(const Variable& a, const Variable& b) { return add_or_sub(false, a, b); }
Variable sub(const Variable& a, const Variable& b) { return add_or_sub(true, a, b); }

Variable mul(const Variable& a, const Variable& b) {
  Tensor out = ops::mul(a.data(), b.data());
  if (!needs_grad(a, b)) return Variable(std::move(out));
  Tensor saved_a = b.requires_grad() ? a.data() : Tensor();
  Tensor saved_b = a.requires_grad() ? b.data() : Tensor();
  return record(std::make_shared<MulBackward>(a.shape(), b.shape(), saved_a, saved_b),
                std::move(out), a, b);
}

Variable div(const Variable& a, const Variable& b) {
  Tensor out = ops::div(a.data(), b.data());
  if (!needs_grad(a, b)) return Variable(std::move(out));
  Tensor saved_out = b.requires_grad() ? out : Tensor();
  return record(std::make_shared<DivBackward>(a.shape(), b.data(), saved_out), std::move(out), a,
                b);
}

Variable add(const Variable& a, double s) { return scalar_op(BinaryOp::add, a, s); }
Variable sub(const Variable& a, double s) { return scalar_op(BinaryOp::sub, a, s); }
Variable mul(const Variable& a, double s) { return scalar_op(BinaryOp::mul, a, s); }
Variable div(const Variable& a, double s) { return scalar_op(BinaryOp::div, a, s); }

Variable neg(const Variable& x) {
  Tensor out = ops::neg(x.data());
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(std::make_shared<NegBackward>(), std::move(out), x);
}

}  // namespace hs
