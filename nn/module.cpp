#include "nn/module.h"

#include "nn/summary.h"

namespace hs::nn {

Variable Module::operator()(const Variable& x) { return recorded_call(x, forward(x)); }

Variable Module::recorded_call(const Variable& x, Variable y) const {
  if (SummaryRecorder* rec = SummaryRecorder::active()) rec->record(*this, x.shape(), y.shape());
  return y;
}

void Module::register_parameter(std::string name, Variable* param) {
  HS_CHECK(param->defined(), type_name(), ": parameter '", name, "' is undefined");
  if (!param->requires_grad()) param->requires_grad_(true);
  params_.emplace_back(std::move(name), param);
}

void Module::register_buffer(std::string name, Tensor* buffer) {
  buffers_.emplace_back(std::move(name), buffer);
}

void Module::add_child(std::string name, std::shared_ptr<Module> child) {
  HS_CHECK(child != nullptr, type_name(), ": child module '", name, "' is null");
  children_.emplace_back(std::move(name), std::move(child));
}

std::vector<std::pair<std::string, Variable>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Variable>> out;
  for (const auto& [name, p] : params_) out.emplace_back(name, *p);
  if (recurse) {
    for (const auto& [cname, child] : children_)
      for (auto& [name, p] : child->named_parameters(true))
        out.emplace_back(join_name(cname, name), p);
  }
  return out;
}

std::vector<Variable> Module::parameters(bool recurse) const {
  std::vector<Variable> out;
  for (auto& [name, p] : named_parameters(recurse)) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, b] : buffers_) out.emplace_back(name, *b);
  if (recurse) {
    for (const auto& [cname, child] : children_)
      for (auto& [name, b] : child->named_buffers(true))
        out.emplace_back(join_name(cname, name), b);
  }
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_children() const {
  return children_;
}

void Module::collect_modules(const std::string& prefix,
                             std::vector<std::pair<std::string, const Module*>>& out) const {
  out.emplace_back(prefix, this);
  for (const auto& [name, child] : children_) child->collect_modules(join_name(prefix, name), out);
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out;
  collect_modules("", out);
  return out;
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (auto& [name, p] : named_parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  HS_CHECK(!on || !folded_, type_name(),
           ": cannot train a model whose batch norms are folded into its convolutions (inference "
           "only); train the unfolded model (load its weights again)");
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [name, p] : params_) p->zero_grad();
  for (auto& [name, child] : children_) child->zero_grad();
}

void Module::fold_batch_norms() {
  HS_CHECK(!folded_, type_name(), ": batch norms are already folded");
  HS_CHECK(!training_, type_name(),
           ": fold_batch_norms needs eval mode (it folds the running statistics); call eval() "
           "first");
  fold_own_batch_norms();
  for (auto& [name, child] : children_) child->fold_batch_norms();
  folded_ = true;
}

StateDict Module::state_dict() const {
  HS_CHECK(!folded_, type_name(),
           ": no state dict of a model whose batch norms are folded into its convolutions: its "
           "weights are not the unfolded model's; save or load before folding");
  StateDict out;
  for (auto& [name, p] : named_parameters()) out[name] = p.data();
  for (auto& [name, b] : named_buffers()) out[name] = b;
  return out;
}

void Module::load_state_dict(const StateDict& state) {
  // Check everything first so that a bad dict leaves the module untouched.
  const StateDict mine = state_dict();
  for (const auto& [key, value] : state) {
    HS_CHECK(mine.count(key), "load_state_dict: unexpected key '", key, "' (", type_name(), " has ",
             mine.size(), " entries)");
  }
  for (const auto& [key, target] : mine) {
    auto it = state.find(key);
    HS_CHECK(it != state.end(), "load_state_dict: missing key '", key, "'");
    HS_CHECK(it->second.defined(), "load_state_dict: key '", key, "' holds an undefined tensor");
    HS_CHECK(it->second.shape() == target.shape(), "load_state_dict: key '", key, "' has shape ",
             it->second.shape(), " but the module expects ", target.shape());
    HS_CHECK(is_floating(it->second.dtype()) == is_floating(target.dtype()),
             "load_state_dict: key '", key, "' has dtype ", it->second.dtype(),
             " but the module expects ", target.dtype());
  }
  for (auto& [key, target] : mine) {
    Tensor dst = target;  // shares storage with the module's slot
    dst.copy_(state.at(key));
  }
}

void Module::to(Device device) {
  for (auto& [name, p] : params_) {
    p->set_data(p->data().to(device));
    p->zero_grad();
  }
  for (auto& [name, b] : buffers_) *b = b->to(device);
  for (auto& [name, child] : children_) child->to(device);
}

void Module::to(DType dtype) {
  HS_CHECK(is_floating(dtype), "Module::to: parameters must stay floating, got ", dtype);
  for (auto& [name, p] : params_) {
    p->set_data(p->data().to(dtype));
    p->zero_grad();
  }
  for (auto& [name, b] : buffers_)
    if (is_floating(b->dtype())) *b = b->to(dtype);
  for (auto& [name, child] : children_) child->to(dtype);
}

void Module::str_into(std::string& out, const std::string& name, int depth) const {
  out += std::string(2 * depth, ' ');
  if (!name.empty()) out += "(" + name + "): ";
  out += type_name();
  const std::string extra = extra_repr();
  if (!extra.empty()) out += "(" + extra + ")";
  out += "\n";
  for (const auto& [cname, child] : children_) child->str_into(out, cname, depth + 1);
}

std::string Module::str() const {
  std::string out;
  str_into(out, "", 0);
  return out;
}

}  // namespace hs::nn
