#pragma once
// OUT/report.html of a sweep: the results table (sortable), accuracy against MACs and
// against parameters with the Pareto front and each point labelled (mean ± std over the
// seeds of one configuration), and every trial's learning curves (from its steps.jsonl and
// metrics.jsonl).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/sweep_spec.h"

namespace hs::tools {

std::string sweep_report_html(const SweepSpec& spec,
                              const std::vector<nlohmann::ordered_json>& records);

// The lines of a JSON-lines file that parse (none when it is absent).
std::vector<nlohmann::json> read_jsonl(const std::string& path);

}  // namespace hs::tools
