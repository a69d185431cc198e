#pragma once
// gradcheck: compares the analytic gradient of every input element with central
// differences, in f64. For a non-scalar output the check is on the projection
// L = sum(out * v) with a fixed random v, so every output element takes part.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/variable.h"

namespace hs {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
  std::uint64_t seed = 0;  // for the projection v
};

struct GradcheckInputReport {
  std::size_t index = 0;  // position of the input in the list passed to gradcheck
  Shape shape;
  double max_abs_error = 0;  // max |analytic - numeric| over the input's elements
  double max_rel_error = 0;  // max |analytic - numeric| / max(|numeric|, |analytic|, 1e-12)
  bool ok = true;            // every element within atol + rtol * |numeric|
};

struct GradcheckResult {
  std::vector<GradcheckInputReport> inputs;  // one per input that requires grad, in order
  bool ok = true;
  std::string report() const;
};

// fn maps the inputs to one output. Inputs must be f64 CPU leaves; those with
// requires_grad are checked.
GradcheckResult gradcheck(const std::function<Variable(const std::vector<Variable>&)>& fn,
                          const std::vector<Variable>& inputs, const GradcheckOptions& opts = {});

}  // namespace hs
