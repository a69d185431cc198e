#pragma once
// Module: the base of every layer and model. A module owns named parameters (Variables
// that require grad), named buffers (Tensors such as running statistics) and named child
// modules; names join with dots into the paths used by state dicts and checkpoints
// ("layer1.0.conv1.weight"), as in PyTorch. Modules are held by shared_ptr and are not
// copyable: parameters and buffers are registered by address.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"
#include "core/tensor.h"

namespace hs::nn {

// Ordered name → tensor mapping (parameters and buffers), the unit of checkpoints.
using StateDict = std::map<std::string, Tensor>;

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The class name as PyTorch prints it ("Conv2d", "HSBlock").
  virtual std::string type_name() const = 0;
  // Most modules map one tensor to one; containers and models override this.
  virtual Variable forward(const Variable& x) = 0;
  // Calls forward and reports the call to an active summary recorder (see summary.h).
  Variable operator()(const Variable& x);
  // Multiply-accumulates of one forward call with this input and output shape, counting
  // only this module's own convolution or linear work (0 for everything else).
  virtual std::int64_t macs(const Shape& /*input*/, const Shape& /*output*/) const { return 0; }
  // One-line description of the configuration, e.g. "3->16, kernel 3, stride 1".
  virtual std::string extra_repr() const { return ""; }

  std::vector<std::pair<std::string, Variable>> named_parameters(bool recurse = true) const;
  std::vector<Variable> parameters(bool recurse = true) const;
  std::vector<std::pair<std::string, Tensor>> named_buffers(bool recurse = true) const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;
  // This module ("" name) and every descendant, depth first, with dotted paths.
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  std::int64_t num_parameters() const;

  // Training mode (batch statistics in BatchNorm) for this module and its descendants.
  // train(true) on a model whose batch norms are folded is an hs::Error.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Drops the .grad of every parameter.
  void zero_grad();

  // For inference: folds every eval-mode BatchNorm2d that directly follows a convolution into
  // that convolution's weight and bias (w' = w·a, bias' = bias·a + b per output channel, with
  // a = γ/√(var+ε), b = β − mean·a), leaving the batch norm only its ReLU or shortcut-add
  // epilogue. Batch norms that follow no convolution stay as they are. The model then runs
  // inference only: train(true), a forward with gradients, state_dict() and load_state_dict()
  // are hs::Errors (its parameters no longer mean what an unfolded model's do). Requires eval
  // mode and a model not folded before.
  void fold_batch_norms();
  bool batch_norms_folded() const { return folded_; }

  // Parameters and buffers by dotted name, sharing storage with the module. An hs::Error on
  // a folded model (see fold_batch_norms).
  StateDict state_dict() const;
  // Copies every entry into the matching parameter or buffer, converting f32 <-> f64 as
  // PyTorch does. Strict: a missing or unexpected key, a shape mismatch, or an integer
  // tensor for a floating slot (or the reverse) is an hs::Error naming the key, and the
  // module is left unchanged (everything is checked before anything is copied).
  void load_state_dict(const StateDict& state);

  // Moves parameters and buffers to `device` (gradients are dropped).
  void to(Device device);
  // Converts floating parameters and buffers to `dtype` (f64 for gradient checks).
  void to(DType dtype);

  // Indented tree of the module's children with their extra_repr(), like print(model).
  std::string str() const;

 protected:
  // Reports a call of this module with input x and result y to an active summary recorder
  // and returns y: operator() and any other entry point that computes the module's output
  // (BatchNorm2d::forward_add_relu) end with it.
  Variable recorded_call(const Variable& x, Variable y) const;
  // This module's own conv -> batch-norm pairs for fold_batch_norms (its children fold
  // theirs): each module whose forward feeds a Conv2d's output straight into a BatchNorm2d
  // overrides this to fold them (nn/batch_norm.h: BatchNorm2d::fold_into).
  virtual void fold_own_batch_norms() {}
  // Registers a member as a parameter (a leaf Variable that requires grad).
  void register_parameter(std::string name, Variable* param);
  // Registers a member as a buffer.
  void register_buffer(std::string name, Tensor* buffer);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> m) {
    add_child(std::move(name), m);
    return m;
  }

 private:
  void add_child(std::string name, std::shared_ptr<Module> child);
  void collect_modules(const std::string& prefix,
                       std::vector<std::pair<std::string, const Module*>>& out) const;
  void str_into(std::string& out, const std::string& name, int depth) const;

  std::vector<std::pair<std::string, Variable*>> params_;
  std::vector<std::pair<std::string, Tensor*>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  bool folded_ = false;
};

// Joins a dotted path prefix and a name.
inline std::string join_name(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

}  // namespace hs::nn
