#pragma once
// One sweep trial, in order: (1) an f64 gradient check of its block configuration (HS
// models: hs_block at stride 1 and hs_bottleneck at stride 2 with the trial's s, ratio,
// carry side and split); a FAIL is recorded and not trained; (2) params and MACs; (3) the
// median throughput of a few training steps and inferences on synthetic input; (4) training
// in OUT/trials/NAME/ as `hsnet train` does, resumed from its last checkpoint when one is
// there. (1)-(3) are kept in NAME/measure.json and the final row in NAME/result.json, so a
// re-run repeats nothing that finished. A failure (bad option, NaN loss, out of memory) is a
// row whose status says so, never an exception.
#include <nlohmann/json.hpp>
#include <string>

#include "tools/sweep_spec.h"

namespace hs::tools {

enum class TrialEnd { finished, interrupted };

struct TrialResult {
  TrialEnd end = TrialEnd::finished;
  nlohmann::json row;  // the results row (see sweep_results.h) of this trial
};

// The row of a trial that already finished (NAME/result.json), or null.
nlohmann::json finished_row(const SweepTrial& trial);

// Runs (or continues) the trial with `threads` threads on `device`.
TrialResult run_trial(const SweepTrial& trial, std::int64_t threads, const std::string& device);

}  // namespace hs::tools
