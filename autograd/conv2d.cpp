// Differentiable 2-D convolution: forward through ops::conv2d_forward, backward through
// ops::conv2d_backward_{input,weight,bias}.
#include "autograd/conv2d.h"

#include <memory>
#include <utility>

#include "autograd/function_helpers.h"

namespace hs {

namespace {

// y = conv(x, w) + b: dx needs w, dw needs x, db needs only dy. Each operand is saved only
// when the other's gradient is wanted. Edges: x, w, and b when the call had a bias.
class ConvBackward : public Node {
 public:
  ConvBackward(Tensor x, Tensor w, Shape x_shape, Shape w_shape, ops::Conv2dParams params)
      : x_(std::move(x)), w_(std::move(w)), x_shape_(x_shape), w_shape_(w_shape), params_(params) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    const Tensor& dy = grads[0];
    std::vector<Tensor> out(next_edges.size());
    if (input_needs_grad(*this, 0)) out[0] = ops::conv2d_backward_input(dy, w_, x_shape_, params_);
    if (input_needs_grad(*this, 1)) out[1] = ops::conv2d_backward_weight(dy, x_, w_shape_, params_);
    if (out.size() > 2 && input_needs_grad(*this, 2)) out[2] = ops::conv2d_backward_bias(dy);
    return out;
  }
  std::string name() const override { return "ConvBackward"; }
  void release_saved() override {
    x_ = w_ = Tensor();
    released_ = true;
  }

 private:
  Tensor x_, w_;
  Shape x_shape_, w_shape_;
  ops::Conv2dParams params_;
};

}  // namespace

Variable conv2d(const Variable& x, const Variable& w, const Variable& b,
                const ops::Conv2dParams& params) {
  HS_CHECK(x.defined() && w.defined(), "conv2d: input and weight must be defined variables");
  Tensor out = ops::conv2d_forward(x.data(), w.data(), b.defined() ? b.data() : Tensor(), params);
  const bool with_bias = b.defined();
  if (!(with_bias ? needs_grad(x, w, b) : needs_grad(x, w))) return Variable(std::move(out));
  Tensor saved_x = w.requires_grad() ? x.data() : Tensor();
  Tensor saved_w = x.requires_grad() ? w.data() : Tensor();
  auto node = std::make_shared<ConvBackward>(saved_x, saved_w, x.shape(), w.shape(), params);
  if (with_bias) return record(node, std::move(out), x, w, b);
  return record(node, std::move(out), x, w);
}

}  // namespace hs
