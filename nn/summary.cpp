#include "nn/summary.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "autograd/grad_mode.h"

namespace hs::nn {

namespace {
thread_local SummaryRecorder* current_recorder = nullptr;
}

SummaryRecorder::SummaryRecorder(const Module& root) : previous_(current_recorder) {
  for (const auto& [name, m] : root.named_modules()) names_[m] = name;
  current_recorder = this;
}

SummaryRecorder::~SummaryRecorder() { current_recorder = previous_; }

SummaryRecorder* SummaryRecorder::active() { return current_recorder; }

void SummaryRecorder::record(const Module& m, const Shape& input, const Shape& output) {
  auto it = names_.find(&m);
  SummaryRow row;
  row.name = it != names_.end() ? it->second : "?";
  row.type = m.type_name();
  row.output = output;
  row.params = 0;
  for (const auto& [name, p] : m.named_parameters(false)) row.params += p.numel();
  row.macs = m.macs(input, output);
  rows_.push_back(std::move(row));
}

namespace {
std::string display_name(const SummaryRow& r) { return r.name.empty() ? "(model)" : r.name; }
}  // namespace

std::string Summary::table() const {
  std::size_t name_w = 4, type_w = 4;
  for (const SummaryRow& r : rows) {
    name_w = std::max(name_w, display_name(r).size());
    type_w = std::max(type_w, r.type.size());
  }
  std::ostringstream os;
  os << std::left << std::setw(name_w + 2) << "name" << std::setw(type_w + 2) << "type"
     << std::setw(20) << "output" << std::right << std::setw(12) << "params" << std::setw(14)
     << "macs"
     << "\n";
  for (const SummaryRow& r : rows) {
    os << std::left << std::setw(name_w + 2) << display_name(r) << std::setw(type_w + 2) << r.type
       << std::setw(20) << r.output.str() << std::right << std::setw(12) << r.params
       << std::setw(14) << r.macs << "\n";
  }
  os << "total params=" << total_params << " macs=" << total_macs << "\n";
  return os.str();
}

Summary summarize(Module& model, const Shape& input) {
  HS_CHECK(input.size() == 4, "summary: input shape must be [N,C,H,W], got ", input);
  const bool was_training = model.is_training();
  model.eval();
  Summary s;
  {
    NoGradGuard no_grad;
    SummaryRecorder rec(model);
    const std::vector<Variable> params = model.parameters();
    const TensorOptions opts =
        params.empty() ? TensorOptions{} : TensorOptions{params[0].dtype(), params[0].device()};
    model(Variable(zeros(input, opts)));
    s.rows = rec.rows();
  }
  model.train(was_training);
  s.total_params = model.num_parameters();
  for (const SummaryRow& r : s.rows) s.total_macs += r.macs;
  return s;
}

}  // namespace hs::nn
