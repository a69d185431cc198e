#pragma once
// The tables of a sweep: OUT/results.csv and OUT/results.jsonl, one row per trial in trial
// order, columns `trial, <one per axis, as the spec names it>, seed, params, macs,
// gradcheck_max_error, gradcheck, train_img_per_s, infer_img_per_s, best_test_acc,
// final_test_acc, seconds, status` (status: done | failed: MESSAGE | gradcheck-failed |
// running | pending); and OUT/report.md, the same table and the best trials in text. Each is
// rewritten atomically.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/sweep_spec.h"

namespace hs::tools {

// The column names in order.
std::vector<std::string> result_columns(const SweepSpec& spec);

// A row as an ordered object of the columns (from a trial's row, or "pending" when null).
nlohmann::ordered_json result_record(const SweepSpec& spec, std::size_t trial,
                                     const nlohmann::json& row);

// Writes results.csv, results.jsonl, report.md and report.html into spec.out.
void write_sweep_results(const SweepSpec& spec, const std::vector<nlohmann::json>& rows);

}  // namespace hs::tools
