// Differentiable batch norm, pooling, linear and cross-entropy: forwards through ops::, one
// node per call whose backward also calls ops::.
#include "autograd/nn_functions.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/function_helpers.h"
#include "ops/batch_norm.h"
#include "ops/elementwise.h"
#include "ops/linear.h"
#include "ops/loss.h"

namespace hs {

namespace {

// Optional inputs (gamma, beta, bias) may be undefined variables: no gradient, no edge.
bool requires_grad_if_defined(const Variable& v) { return v.defined() && v.requires_grad(); }
Edge edge_if_defined(const Variable& v) { return v.defined() ? v.gradient_edge() : Edge{}; }
Tensor data_if_defined(const Variable& v) { return v.defined() ? v.data() : Tensor(); }

void check_defined_input(const char* op, const Variable& x, const char* what) {
  HS_CHECK(x.defined(), op, ": ", what, " is an undefined variable");
}

// Makes `result` the single output of `node`, whose inputs are `edges` in order.
Variable link(const std::shared_ptr<Node>& node, Tensor result, std::vector<Edge> edges) {
  node->next_edges = std::move(edges);
  Variable out(std::move(result));
  out.set_history(node, 0);
  return out;
}

// Edges: x, gamma, beta (null where undefined). The fused variant also keeps the output y,
// whose sign says where the ReLU let the gradient through.
// Backward of batch norm: plain, fused with the ReLU after it, or fused with the residual
// add and ReLU that end a residual block (inputs x, gamma, beta, residual).
enum class BatchNormEpilogue { none, relu, add_relu };

class BatchNormBackward : public Node {
 public:
  BatchNormBackward(BatchNormEpilogue epilogue, Tensor x, Tensor gamma, Tensor y, Tensor save_mean,
                    Tensor save_invstd, bool training)
      : epilogue_(epilogue),
        training_(training),
        x_(std::move(x)),
        gamma_(std::move(gamma)),
        y_(std::move(y)),
        save_mean_(std::move(save_mean)),
        save_invstd_(std::move(save_invstd)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    std::vector<Tensor> out(epilogue_ == BatchNormEpilogue::add_relu ? 4 : 3);
    Tensor dy = std::move(grads[0]);
    if (epilogue_ == BatchNormEpilogue::add_relu) {
      // The gradient of bn(x) + residual, which the residual receives as it is.
      dy = ops::unary_backward(ops::UnaryOp::relu, dy, Tensor(), y_);
      if (input_needs_grad(*this, 3)) out[3] = dy;
    }
    ops::BatchNormGrads g =
        epilogue_ == BatchNormEpilogue::relu
            ? ops::batch_norm_relu_backward(dy, y_, x_, gamma_, save_mean_, save_invstd_, training_)
            : ops::batch_norm_backward(dy, x_, gamma_, save_mean_, save_invstd_, training_);
    if (input_needs_grad(*this, 0)) out[0] = std::move(g.dx);
    if (input_needs_grad(*this, 1)) out[1] = std::move(g.dgamma);
    if (input_needs_grad(*this, 2)) out[2] = std::move(g.dbeta);
    return out;
  }
  std::string name() const override {
    switch (epilogue_) {
      case BatchNormEpilogue::relu:
        return "BatchNormReluBackward";
      case BatchNormEpilogue::add_relu:
        return "BatchNormAddReluBackward";
      default:
        return "BatchNormBackward";
    }
  }
  void release_saved() override {
    x_ = gamma_ = y_ = save_mean_ = save_invstd_ = Tensor();
    released_ = true;
  }

 private:
  BatchNormEpilogue epilogue_;
  bool training_;
  Tensor x_, gamma_, y_, save_mean_, save_invstd_;
};

Variable batch_norm_impl(const char* op, BatchNormEpilogue epilogue, const Variable& x,
                         const Variable& residual, const Variable& gamma, const Variable& beta,
                         const Tensor& running_mean, const Tensor& running_var, bool training,
                         double momentum, double eps) {
  check_defined_input(op, x, "input");
  const Tensor g = data_if_defined(gamma), b = data_if_defined(beta);
  ops::BatchNormForward f;
  switch (epilogue) {
    case BatchNormEpilogue::none:
      f = ops::batch_norm_forward(x.data(), g, b, running_mean, running_var, training, momentum,
                                  eps);
      break;
    case BatchNormEpilogue::relu:
      f = ops::batch_norm_relu_forward(x.data(), g, b, running_mean, running_var, training,
                                       momentum, eps);
      break;
    case BatchNormEpilogue::add_relu:
      check_defined_input(op, residual, "residual");
      f = ops::batch_norm_add_relu_forward(x.data(), residual.data(), g, b, running_mean,
                                           running_var, training, momentum, eps);
      break;
  }
  const bool add = epilogue == BatchNormEpilogue::add_relu;
  const bool needs_node =
      grad_enabled() && (x.requires_grad() || requires_grad_if_defined(gamma) ||
                         requires_grad_if_defined(beta) || (add && residual.requires_grad()));
  if (!needs_node) return Variable(std::move(f.y));
  auto node = std::make_shared<BatchNormBackward>(
      epilogue, x.data(), g, epilogue == BatchNormEpilogue::none ? Tensor() : f.y, f.save_mean,
      f.save_invstd, training);
  std::vector<Edge> edges = {x.gradient_edge(), edge_if_defined(gamma), edge_if_defined(beta)};
  if (add) edges.push_back(residual.gradient_edge());
  return link(node, std::move(f.y), std::move(edges));
}

class MaxPool2dBackward : public Node {
 public:
  MaxPool2dBackward(Tensor indices, Shape input_shape)
      : indices_(std::move(indices)), input_shape_(input_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    return {ops::max_pool2d_backward(grads[0], indices_, input_shape_)};
  }
  std::string name() const override { return "MaxPool2dBackward"; }
  void release_saved() override {
    indices_ = Tensor();
    released_ = true;
  }

 private:
  Tensor indices_;
  Shape input_shape_;
};

// Saves no tensor: the window geometry and the input's shape determine the gradient.
class AvgPool2dBackward : public Node {
 public:
  AvgPool2dBackward(Shape input_shape, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding, bool count_include_pad)
      : input_shape_(input_shape),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        count_include_pad_(count_include_pad) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::avg_pool2d_backward(grads[0], input_shape_, kernel_, stride_, padding_,
                                     count_include_pad_)};
  }
  std::string name() const override { return "AvgPool2dBackward"; }

 private:
  Shape input_shape_;
  ops::Size2 kernel_;
  std::optional<ops::Size2> stride_;
  ops::Size2 padding_;
  bool count_include_pad_;
};

class GlobalAvgPool2dBackward : public Node {
 public:
  explicit GlobalAvgPool2dBackward(Shape input_shape) : input_shape_(input_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::global_avg_pool2d_backward(grads[0], input_shape_)};
  }
  std::string name() const override { return "GlobalAvgPool2dBackward"; }

 private:
  Shape input_shape_;
};

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

Variable batch_norm(const Variable& x, const Variable& gamma, const Variable& beta,
                    const Tensor& running_mean, const Tensor& running_var, bool training,
                    double momentum, double eps) {
  return batch_norm_impl("batch_norm", BatchNormEpilogue::none, x, Variable(), gamma, beta,
                         running_mean, running_var, training, momentum, eps);
}

Variable batch_norm_relu(const Variable& x, const Variable& gamma, const Variable& beta,
                         const Tensor& running_mean, const Tensor& running_var, bool training,
                         double momentum, double eps) {
  return batch_norm_impl("batch_norm_relu", BatchNormEpilogue::relu, x, Variable(), gamma, beta,
                         running_mean, running_var, training, momentum, eps);
}

Variable batch_norm_add_relu(const Variable& x, const Variable& residual, const Variable& gamma,
                             const Variable& beta, const Tensor& running_mean,
                             const Tensor& running_var, bool training, double momentum,
                             double eps) {
  return batch_norm_impl("batch_norm_add_relu", BatchNormEpilogue::add_relu, x, residual, gamma,
                         beta, running_mean, running_var, training, momentum, eps);
}

Variable max_pool2d(const Variable& x, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding) {
  check_defined_input("max_pool2d", x, "input");
  ops::MaxPool2dForward f = ops::max_pool2d_forward(x.data(), kernel, stride, padding);
  if (!needs_grad(x)) return Variable(std::move(f.y));
  return record(std::make_shared<MaxPool2dBackward>(std::move(f.indices), x.shape()),
                std::move(f.y), x);
}

Variable avg_pool2d(const Variable& x, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding, bool count_include_pad) {
  check_defined_input("avg_pool2d", x, "input");
  Tensor y = ops::avg_pool2d_forward(x.data(), kernel, stride, padding, count_include_pad);
  if (!needs_grad(x)) return Variable(std::move(y));
  return record(
      std::make_shared<AvgPool2dBackward>(x.shape(), kernel, stride, padding, count_include_pad),
      std::move(y), x);
}

Variable global_avg_pool2d(const Variable& x) {
  check_defined_input("global_avg_pool2d", x, "input");
  Tensor y = ops::global_avg_pool2d_forward(x.data());
  if (!needs_grad(x)) return Variable(std::move(y));
  return record(std::make_shared<GlobalAvgPool2dBackward>(x.shape()), std::move(y), x);
}

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
