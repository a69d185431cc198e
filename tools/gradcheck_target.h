#pragma once
// The f64 gradient check that `hsnet gradcheck` and every sweep trial run: an HS block, an
// HS bottleneck or a small HS-ResNet built from split options, or a Res2Net or Selective-
// Kernel block or bottleneck, checked with central differences (BN in training mode) against
// the input and every parameter.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace hs::tools {

struct GradcheckTarget {
  // hs_block | hs_bottleneck | hs_resnet | res2net_block | res2net_bottleneck | sk_block |
  // sk_bottleneck (for the SK targets s is the number of branches and w the channels)
  std::string target = "hs_block";
  std::int64_t s = 4, w = 2, stride = 1, batch = 2, size = 6;
  double ratio = 0.5;
  bool carry_leading = false;
  std::vector<double> split;  // per-group proportions of the s·w channels; sets s
  std::uint64_t seed = 0;
};

struct GradcheckOutcome {
  bool ok = false;
  double max_abs_error = 0, max_rel_error = 0;  // over every checked tensor
};

// Runs the check; with `table`, writes the per-tensor table and the PASS/FAIL line there.
GradcheckOutcome run_gradcheck(const GradcheckTarget& target, std::ostream* table);

}  // namespace hs::tools
