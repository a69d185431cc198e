// Differentiable batch norm (plain, fused with ReLU, or with a residual add and ReLU):
// forwards through ops::, one node per call whose backward also calls ops::.
#include "autograd/batch_norm.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/function_helpers.h"
#include "ops/batch_norm.h"
#include "ops/elementwise.h"

namespace hs {

namespace {

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

}  // namespace hs
