#pragma once
// Variable: a Tensor that takes part in automatic differentiation. It wraps the data
// tensor with requires_grad, the accumulated .grad of a leaf, and grad_fn, the Node that
// produced it. Copies are handles to the same variable. Every method that computes
// records the operation when grad mode is on and an input requires grad.
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "autograd/node.h"
#include "core/tensor.h"

namespace hs {

class Variable {
 public:
  Variable() = default;  // undefined
  explicit Variable(Tensor data, bool requires_grad = false);

  bool defined() const { return impl_ != nullptr; }
  const Tensor& data() const;
  // Replaces the data in place (same shape/dtype/device expected by callers such as
  // optimizers and load_state_dict); the graph is not affected.
  void set_data(const Tensor& data);

  const Shape& shape() const { return data().shape(); }
  std::int64_t size(std::int64_t dim) const { return data().size(dim); }
  int dim() const { return data().dim(); }
  std::int64_t numel() const { return data().numel(); }
  DType dtype() const { return data().dtype(); }
  Device device() const { return data().device(); }
  double item() const { return data().item(); }

  bool requires_grad() const;
  // Marks a leaf as needing a gradient; an hs::Error on a non-leaf.
  Variable& requires_grad_(bool on = true);
  bool is_leaf() const;
  const std::shared_ptr<Node>& grad_fn() const;
  int output_nr() const;

  // Accumulated gradient of a leaf (undefined until a backward reaches it).
  const Tensor& grad() const;
  void set_grad(const Tensor& g);
  void zero_grad();  // drops the gradient (undefined again)

  // Backpropagates from this variable. Without `grad` it must hold one element (the
  // gradient is 1); with `grad`, same shape as this. retain_graph keeps saved tensors for
  // another backward.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& grad, bool retain_graph = false) const;

  // Same data, no graph, requires_grad false.
  Variable detach() const;

  // Used by differentiable functions to link a result to its node.
  void set_history(std::shared_ptr<Node> node, int output_nr);
  // The edge a node holds for this variable as one of its inputs: grad_fn for a computed
  // variable, the leaf's AccumulateGrad node for a leaf that requires grad, null otherwise.
  Edge gradient_edge() const;

  bool same(const Variable& other) const { return impl_ == other.impl_; }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Variable& v);

}  // namespace hs
