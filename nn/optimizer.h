#pragma once
// Optimizer: the base of the parameter-update rules (SGD, AdamW), with PyTorch's semantics.
// It holds the parameters in groups that share a learning rate and a weight decay, the
// per-parameter state buffers (created at a parameter's first update) and the step count,
// and saves and restores that state as a StateDict for checkpoints.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"
#include "nn/module.h"

namespace hs::nn {

// Parameters with their dotted names, as Module::named_parameters() returns them.
using NamedParameters = std::vector<std::pair<std::string, Variable>>;

// Parameters that share a learning rate and a weight decay; names[i] names params[i].
struct ParamGroup {
  std::vector<Variable> params;
  std::vector<std::string> names;
  double lr;
  double weight_decay;
};

// Puts all parameters in one group with `weight_decay`, or, with no_decay_bn_and_bias, the
// parameters with ndim == 1 (BatchNorm γ/β and biases) in a second group with weight decay 0.
// Groups left empty are dropped.
std::vector<ParamGroup> make_param_groups(const NamedParameters& params, double lr,
                                          double weight_decay, bool no_decay_bn_and_bias);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Drops the gradient of every parameter (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  // Updates every parameter that has a gradient, in place on its data (the tensor stays the
  // one the module holds), without recording a graph; parameters without one are skipped.
  // Every parameter is checked before any is updated: a gradient of another dtype or device,
  // or state from before the parameter changed dtype or device, is an hs::Error.
  virtual void step();

  // The learning rate (all groups share it; schedules set it before each step).
  double lr() const;
  // Sets the learning rate of every group; requires a finite lr >= 0.
  void set_lr(double lr);
  // Number of step() calls so far (restored by load_state_dict).
  std::int64_t step_count() const { return step_count_; }
  const std::vector<ParamGroup>& param_groups() const { return groups_; }
  // Lower-case name used in error messages ("sgd", "adamw").
  const std::string& name() const { return name_; }

  // The optimizer state: "step" (a 0-d i64 tensor, the step count) and, for each parameter
  // updated at least once, its buffers keyed "<buffer>.<parameter name>" (sharing storage
  // with the optimizer). The learning rate is not part of it: schedules recompute it.
  StateDict state_dict() const;
  // Restores a state saved by state_dict() of the same kind of optimizer over parameters of
  // the same names and shapes (values are copied, converted to each parameter's dtype).
  // Strict: a missing, unexpected or mis-shaped key is an hs::Error naming the key, and the
  // optimizer is left unchanged (everything is checked before anything is replaced).
  void load_state_dict(const StateDict& state);

 protected:
  // What the optimizer keeps for one parameter: the number of updates it has received and
  // its buffers, in the order of the buffer names (allocated, zeroed, at its first update).
  // When the count is not saved, a restored state counts max(step, 1) updates.
  struct ParamState {
    std::int64_t steps = 0;
    std::vector<Tensor> buffers;
  };

  // `buffer_names` name the per-parameter buffers (keys "<buffer>.<param>");
  // saves_param_steps adds each parameter's update count as "step.<param>" (AdamW's bias
  // correction needs it). Requires at least one parameter, unique names, and leaf
  // parameters of a floating dtype.
  Optimizer(std::string name, std::vector<ParamGroup> groups, std::vector<std::string> buffer_names,
            bool saves_param_steps);

  // Applies one update to `param` (contiguous, on the CPU or a GPU) with `grad` (contiguous,
  // same dtype, device and shape); state.steps already counts this update and state.buffers
  // exist (on the parameter's device).
  virtual void update(const ParamGroup& group, const Tensor& param, const Tensor& grad,
                      ParamState& state) = 0;

 private:
  void check_before_step() const;
  // The parameter states held in `state` (checked, copied); step_count is its "step".
  std::vector<std::vector<ParamState>> load_param_states(const StateDict& state,
                                                         std::int64_t step_count) const;

  std::string name_;
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<ParamState>> states_;  // states_[g][i] belongs to groups_[g].params[i]
  std::vector<std::string> buffer_names_;
  bool saves_param_steps_;
  std::int64_t step_count_ = 0;
};

}  // namespace hs::nn
