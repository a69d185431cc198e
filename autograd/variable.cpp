#include "autograd/variable.h"

#include <utility>

#include "autograd/accumulate_grad.h"
#include "autograd/engine.h"

namespace hs {

struct Variable::Impl {
  Tensor data;
  bool requires_grad = false;  // set on leaves by the user; computed results use grad_fn
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  int output_nr = 0;
  // Cached so every path to this leaf ends in the same node and the engine sums them all
  // before accumulating; weak because that node refers to this variable.
  std::weak_ptr<Node> accumulator;
};

namespace {

void check_can_require_grad(const Tensor& data) {
  HS_CHECK(is_floating(data.dtype()),
           "requires_grad: only floating tensors can require grad, "
           "got ",
           dtype_name(data.dtype()), " tensor of shape ", data.shape());
}

}  // namespace

Variable::Variable(Tensor data, bool requires_grad) : impl_(std::make_shared<Impl>()) {
  HS_CHECK(data.defined(), "Variable: cannot wrap an undefined tensor");
  if (requires_grad) check_can_require_grad(data);
  impl_->data = std::move(data);
  impl_->requires_grad = requires_grad;
}

const Tensor& Variable::data() const {
  HS_CHECK(impl_, "Variable: use of an undefined variable");
  return impl_->data;
}

void Variable::set_data(const Tensor& data) {
  HS_CHECK(impl_, "set_data: use of an undefined variable");
  HS_CHECK(data.defined(), "set_data: cannot set an undefined tensor");
  impl_->data = data;
}

bool Variable::requires_grad() const {
  HS_CHECK(impl_, "requires_grad: use of an undefined variable");
  return impl_->requires_grad || impl_->grad_fn != nullptr;
}

Variable& Variable::requires_grad_(bool on) {
  HS_CHECK(impl_, "requires_grad_: use of an undefined variable");
  HS_CHECK(is_leaf(), "requires_grad_: only leaves can be marked; this variable was computed by ",
           impl_->grad_fn->name(), " (use detach() for a leaf with the same data)");
  if (on) check_can_require_grad(impl_->data);
  impl_->requires_grad = on;
  return *this;
}

bool Variable::is_leaf() const {
  HS_CHECK(impl_, "is_leaf: use of an undefined variable");
  return impl_->grad_fn == nullptr;
}

const std::shared_ptr<Node>& Variable::grad_fn() const {
  HS_CHECK(impl_, "grad_fn: use of an undefined variable");
  return impl_->grad_fn;
}

int Variable::output_nr() const {
  HS_CHECK(impl_, "output_nr: use of an undefined variable");
  return impl_->output_nr;
}

const Tensor& Variable::grad() const {
  HS_CHECK(impl_, "grad: use of an undefined variable");
  return impl_->grad;
}

void Variable::set_grad(const Tensor& g) {
  HS_CHECK(impl_, "set_grad: use of an undefined variable");
  HS_CHECK(!g.defined() || g.shape() == impl_->data.shape(), "set_grad: gradient of shape ",
           g.shape(), " for a variable of shape ", impl_->data.shape());
  impl_->grad = g;
}

void Variable::zero_grad() {
  HS_CHECK(impl_, "zero_grad: use of an undefined variable");
  impl_->grad = Tensor();
}

void Variable::backward(bool retain_graph) const {
  HS_CHECK(impl_, "backward: use of an undefined variable");
  HS_CHECK(numel() == 1,
           "backward: a gradient can be implied only for an output with one "
           "element, but the output has shape ",
           shape(), "; pass a gradient of that shape");
  run_backward({*this}, {ones(shape(), TensorOptions(dtype(), device()))}, retain_graph);
}

void Variable::backward(const Tensor& grad, bool retain_graph) const {
  HS_CHECK(impl_, "backward: use of an undefined variable");
  run_backward({*this}, {grad}, retain_graph);
}

Variable Variable::detach() const { return Variable(data()); }

void Variable::set_history(std::shared_ptr<Node> node, int output_nr) {
  HS_CHECK(impl_, "set_history: use of an undefined variable");
  impl_->grad_fn = std::move(node);
  impl_->output_nr = output_nr;
}

Edge Variable::gradient_edge() const {
  HS_CHECK(impl_, "gradient_edge: use of an undefined variable");
  if (impl_->grad_fn) return {impl_->grad_fn, impl_->output_nr};
  if (!impl_->requires_grad) return {};
  std::shared_ptr<Node> acc = impl_->accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(*this);
    impl_->accumulator = acc;
  }
  return {acc, 0};
}

std::ostream& operator<<(std::ostream& os, const Variable& v) {
  if (!v.defined()) return os << "Variable(undefined)";
  os << "Variable(" << v.data();
  if (v.grad_fn())
    os << ", grad_fn=" << v.grad_fn()->name();
  else if (v.requires_grad())
    os << ", requires_grad=true";
  return os << ")";
}

}  // namespace hs
