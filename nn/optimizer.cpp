#include "nn/optimizer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "autograd/grad_mode.h"

namespace hs::nn {

namespace {

constexpr const char* kStepKey = "step";

std::string state_key(const std::string& buffer, const std::string& param_name) {
  return buffer + "." + param_name;
}

// The value of a counter entry ("step", "step.<param>"): a 0-d i64 tensor holding at least
// `minimum`.
std::int64_t read_counter(const std::string& optimizer, const std::string& key, const Tensor& t,
                          std::int64_t minimum) {
  HS_CHECK(t.defined(), optimizer, ": load_state_dict: key '", key, "' holds an undefined tensor");
  HS_CHECK(t.dim() == 0 && t.dtype() == DType::i64, optimizer, ": load_state_dict: key '", key,
           "' must be a 0-d i64 tensor, got ", t.dtype(), " of shape ", t.shape());
  const auto value = t.item<std::int64_t>();
  HS_CHECK(value >= minimum, optimizer, ": load_state_dict: key '", key, "' holds ", value,
           ", expected at least ", minimum);
  return value;
}

}  // namespace

std::vector<ParamGroup> make_param_groups(const NamedParameters& params, double lr,
                                          double weight_decay, bool no_decay_bn_and_bias) {
  ParamGroup decayed{{}, {}, lr, weight_decay};
  ParamGroup not_decayed{{}, {}, lr, 0.0};
  for (const auto& [name, p] : params) {
    HS_CHECK(p.defined(), "optimizer: parameter '", name, "' is undefined");
    ParamGroup& group = no_decay_bn_and_bias && p.dim() == 1 ? not_decayed : decayed;
    group.params.push_back(p);
    group.names.push_back(name);
  }
  std::vector<ParamGroup> groups;
  for (ParamGroup* g : {&decayed, &not_decayed})
    if (!g->params.empty()) groups.push_back(std::move(*g));
  return groups;
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups,
                     std::vector<std::string> buffer_names, bool saves_param_steps)
    : name_(std::move(name)),
      groups_(std::move(groups)),
      buffer_names_(std::move(buffer_names)),
      saves_param_steps_(saves_param_steps) {
  std::set<std::string> seen;
  for (const ParamGroup& group : groups_) {
    HS_CHECK(group.params.size() == group.names.size(), name_, ": a parameter group has ",
             group.params.size(), " parameters but ", group.names.size(), " names");
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const std::string& pname = group.names[i];
      const Variable& p = group.params[i];
      HS_CHECK(seen.insert(pname).second, name_, ": parameter name '", pname, "' appears twice");
      HS_CHECK(p.defined(), name_, ": parameter '", pname, "' is undefined");
      HS_CHECK(p.is_leaf(), name_, ": parameter '", pname,
               "' is not a leaf (it was computed from other variables)");
      HS_CHECK(is_floating(p.dtype()), name_, ": parameter '", pname, "' has dtype ", p.dtype(),
               ", expected f32 or f64");
    }
    states_.emplace_back(group.params.size());
  }
  HS_CHECK(!seen.empty(), name_, ": no parameters to optimize");
}

void Optimizer::zero_grad() {
  for (ParamGroup& group : groups_)
    for (Variable& p : group.params) p.zero_grad();
}

double Optimizer::lr() const { return groups_.front().lr; }

void Optimizer::set_lr(double lr) {
  HS_CHECK(std::isfinite(lr) && lr >= 0.0, name_, ": set_lr: lr must be >= 0, got ", lr);
  for (ParamGroup& group : groups_) group.lr = lr;
}

void Optimizer::check_before_step() const {
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
      const std::string& pname = groups_[g].names[i];
      const Tensor& data = groups_[g].params[i].data();
      const Tensor& grad = groups_[g].params[i].grad();
      if (!grad.defined()) continue;
      HS_CHECK(grad.dtype() == data.dtype() && grad.device() == data.device(), name_,
               ": the gradient of '", pname, "' is ", grad.dtype(), " on ", grad.device(),
               " but the parameter is ", data.dtype(), " on ", data.device());
      HS_CHECK(grad.shape() == data.shape(), name_, ": the gradient of '", pname, "' has shape ",
               grad.shape(), " but the parameter has shape ", data.shape());
      for (const Tensor& buffer : states_[g][i].buffers) {
        HS_CHECK(buffer.dtype() == data.dtype() && buffer.device() == data.device() &&
                     buffer.shape() == data.shape(),
                 name_, ": the state of '", pname, "' is ", buffer.dtype(), " ", buffer.shape(),
                 " on ", buffer.device(), " but the parameter is now ", data.dtype(), " ",
                 data.shape(), " on ", data.device(),
                 "; create the optimizer after moving or converting the module");
      }
    }
  }
}

void Optimizer::step() {
  check_before_step();
  NoGradGuard no_grad;
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& grad = group.params[i].grad();
      if (!grad.defined()) continue;
      const Tensor& data = group.params[i].data();
      ParamState& state = states_[g][i];
      if (state.steps == 0)
        for (std::size_t b = 0; b < buffer_names_.size(); ++b)
          state.buffers.push_back(zeros_like(data));
      ++state.steps;
      // The update runs on contiguous memory; a strided parameter gets its result copied
      // back so the module's tensor is still the one updated.
      Tensor work = data.is_contiguous() ? data : data.contiguous();
      update(group, work, grad.contiguous(), state);
      if (!work.shares_storage_with(data)) Tensor(data).copy_(work);
    }
  }
  ++step_count_;
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  out[kStepKey] = scalar_tensor(static_cast<double>(step_count_), DType::i64);
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i) {
      const ParamState& state = states_[g][i];
      if (state.steps == 0) continue;
      const std::string& pname = groups_[g].names[i];
      for (std::size_t b = 0; b < buffer_names_.size(); ++b)
        out[state_key(buffer_names_[b], pname)] = state.buffers[b];
      if (saves_param_steps_)
        out[state_key(kStepKey, pname)] =
            scalar_tensor(static_cast<double>(state.steps), DType::i64);
    }
  }
  return out;
}

std::vector<std::vector<Optimizer::ParamState>> Optimizer::load_param_states(
    const StateDict& state, std::int64_t step_count) const {
  // Every key must be "step" or "<kind>.<parameter>" with a kind this optimizer keeps.
  std::set<std::string> kinds(buffer_names_.begin(), buffer_names_.end());
  if (saves_param_steps_) kinds.insert(kStepKey);
  std::string kind_list;
  for (const std::string& kind : kinds) kind_list += (kind_list.empty() ? "" : ", ") + kind;
  std::set<std::string> param_names;
  for (const ParamGroup& group : groups_)
    param_names.insert(group.names.begin(), group.names.end());
  for (const auto& [key, value] : state) {
    if (key == kStepKey) continue;
    const auto dot = key.find('.');
    const bool known = dot != std::string::npos && kinds.count(key.substr(0, dot)) &&
                       param_names.count(key.substr(dot + 1));
    HS_CHECK(known, name_, ": load_state_dict: unexpected key '", key,
             "' (expected 'step' and '<kind>.<parameter name>' with kind in {", kind_list,
             "} and one of the ", param_names.size(), " parameters)");
  }

  std::vector<std::vector<ParamState>> states;
  for (const ParamGroup& group : groups_) {
    std::vector<ParamState>& group_states = states.emplace_back(group.params.size());
    for (std::size_t i = 0; i < group.params.size(); ++i) {
      const std::string& pname = group.names[i];
      const Tensor& data = group.params[i].data();
      // A parameter's entries are all present (it has been updated) or all absent.
      std::vector<std::string> keys;
      for (const std::string& buffer : buffer_names_) keys.push_back(state_key(buffer, pname));
      if (saves_param_steps_) keys.push_back(state_key(kStepKey, pname));
      const auto present = std::count_if(keys.begin(), keys.end(),
                                         [&](const std::string& k) { return state.count(k); });
      if (present == 0) continue;
      for (const std::string& k : keys)
        HS_CHECK(state.count(k), name_, ": load_state_dict: missing key '", k, "'");

      ParamState& ps = group_states[i];
      ps.steps = saves_param_steps_ ? read_counter(name_, keys.back(), state.at(keys.back()), 1)
                                    : std::max<std::int64_t>(step_count, 1);
      for (const std::string& buffer : buffer_names_) {
        const std::string key = state_key(buffer, pname);
        const Tensor& src = state.at(key);
        HS_CHECK(src.defined(), name_, ": load_state_dict: key '", key,
                 "' holds an undefined tensor");
        HS_CHECK(src.shape() == data.shape(), name_, ": load_state_dict: key '", key,
                 "' has shape ", src.shape(), " but parameter '", pname, "' has shape ",
                 data.shape());
        HS_CHECK(is_floating(src.dtype()), name_, ": load_state_dict: key '", key, "' has dtype ",
                 src.dtype(), ", expected a floating dtype");
        ps.buffers.push_back(zeros_like(data));
      }
    }
  }
  // Only now, with every entry checked, copy the values (into fresh tensors, so the caller's
  // dict is not changed by later steps).
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (std::size_t i = 0; i < groups_[g].params.size(); ++i)
      for (std::size_t b = 0; b < states[g][i].buffers.size(); ++b)
        states[g][i].buffers[b].copy_(state.at(state_key(buffer_names_[b], groups_[g].names[i])));
  return states;
}

void Optimizer::load_state_dict(const StateDict& state) {
  auto it = state.find(kStepKey);
  HS_CHECK(it != state.end(), name_, ": load_state_dict: missing key '", kStepKey, "'");
  const std::int64_t step_count = read_counter(name_, kStepKey, it->second, 0);
  std::vector<std::vector<ParamState>> states = load_param_states(state, step_count);
  states_ = std::move(states);
  step_count_ = step_count;
}

}  // namespace hs::nn
