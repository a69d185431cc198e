#include "autograd/gradcheck.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/grad_mode.h"

namespace hs {

namespace {

void check_inputs(const std::vector<Variable>& inputs) {
  bool any_requires_grad = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Variable& v = inputs[i];
    HS_CHECK(v.defined(), "gradcheck: input ", i, " is undefined");
    HS_CHECK(v.dtype() == DType::f64 && v.device().is_cpu(), "gradcheck: input ", i,
             " must be an f64 CPU tensor, got ", dtype_name(v.dtype()), " on ", v.device(),
             " (shape ", v.shape(), ")");
    HS_CHECK(v.is_leaf(), "gradcheck: input ", i, " (shape ", v.shape(),
             ") must be a leaf, it was computed by ", v.grad_fn()->name());
    any_requires_grad = any_requires_grad || v.requires_grad();
  }
  HS_CHECK(any_requires_grad, "gradcheck: no input requires grad");
}

// sum(out * v) in f64: the scalar whose gradient is checked.
double project(const Variable& out, const std::vector<double>& v) {
  const std::vector<double> values = out.data().to_vector<double>();
  double total = 0;
  for (std::size_t i = 0; i < values.size(); ++i) total += values[i] * v[i];
  return total;
}

// Storage offsets (in elements) of every element of t, in row-major logical order.
std::vector<std::int64_t> element_offsets(const Tensor& t) {
  std::vector<std::int64_t> offsets;
  offsets.reserve(t.numel());
  if (t.numel() == 0) return offsets;
  std::vector<std::int64_t> index(t.dim(), 0);
  for (std::int64_t n = 0; n < t.numel(); ++n) {
    std::int64_t offset = 0;
    for (int d = 0; d < t.dim(); ++d) offset += index[d] * t.stride(d);
    offsets.push_back(offset);
    for (int d = t.dim() - 1; d >= 0; --d) {
      if (++index[d] < t.size(d)) break;
      index[d] = 0;
    }
  }
  return offsets;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Variable(const std::vector<Variable>&)>& fn,
                          const std::vector<Variable>& inputs, const GradcheckOptions& opts) {
  check_inputs(inputs);

  // Analytic pass. The inputs' .grad is cleared for it and restored afterwards.
  std::vector<Tensor> previous_grads;
  for (const Variable& x : inputs) previous_grads.push_back(x.grad());
  std::vector<Variable> leaves = inputs;
  for (Variable& x : leaves) x.zero_grad();

  Variable out = fn(inputs);
  HS_CHECK(out.defined() && out.dtype() == DType::f64,
           "gradcheck: the function must return an "
           "f64 variable");
  Generator gen(opts.seed);
  const Tensor v = randn(out.shape(), gen, DType::f64);
  if (out.requires_grad()) out.backward(v);
  out = Variable();

  std::vector<Tensor> analytic;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    analytic.push_back(leaves[i].grad());
    leaves[i].set_grad(previous_grads[i]);
  }

  // Numeric pass: each element is perturbed in its own storage, so a function that
  // captured the same variables sees the change too.
  const std::vector<double> v_values = v.to_vector<double>();
  GradcheckResult result;
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < leaves.size(); ++i) {
    if (!leaves[i].requires_grad()) continue;
    const Tensor& x = leaves[i].data();
    double* base = x.data<double>();
    const std::vector<double> analytic_values = analytic[i].defined()
                                                    ? analytic[i].to_vector<double>()
                                                    : std::vector<double>(x.numel(), 0.0);
    const std::vector<std::int64_t> offsets = element_offsets(x);

    GradcheckInputReport report;
    report.index = i;
    report.shape = x.shape();
    for (std::size_t e = 0; e < offsets.size(); ++e) {
      double& element = base[offsets[e]];
      const double original = element;
      element = original + opts.eps;
      const double plus = project(fn(inputs), v_values);
      element = original - opts.eps;
      const double minus = project(fn(inputs), v_values);
      element = original;

      const double numeric = (plus - minus) / (2 * opts.eps);
      const double a = analytic_values[e];
      const double err = std::abs(a - numeric);
      report.max_abs_error = std::max(report.max_abs_error, err);
      report.max_rel_error =
          std::max(report.max_rel_error, err / std::max({std::abs(numeric), std::abs(a), 1e-12}));
      if (!(err <= opts.atol + opts.rtol * std::abs(numeric))) report.ok = false;
    }
    result.ok = result.ok && report.ok;
    result.inputs.push_back(report);
  }
  return result;
}

std::string GradcheckResult::report() const {
  std::ostringstream os;
  os << "gradcheck " << (ok ? "passed" : "FAILED") << "\n";
  os << "input  shape                 max_abs_err  max_rel_err  ok\n";
  char line[128];
  for (const GradcheckInputReport& r : inputs) {
    std::snprintf(line, sizeof line, "%5zu  %-20s  %11.3e  %11.3e  %s\n", r.index,
                  r.shape.str().c_str(), r.max_abs_error, r.max_rel_error, r.ok ? "yes" : "NO");
    os << line;
  }
  return os.str();
}

}  // namespace hs
