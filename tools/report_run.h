#pragma once
// OUT/report.html of a training run: loss, accuracy and lr per step, loss and accuracy per
// epoch, the best checkpoint's test confusion matrix and per-class accuracy, the model
// summary and the resolved config — read from what the run saved in OUT.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hs::tools {

// The page for the run in `out` (steps.jsonl, metrics.jsonl, best_eval.json as far as they
// exist), with `config` and the model summary table `summary`.
std::string run_report_html(const std::filesystem::path& out, const std::string& title,
                            const nlohmann::json& config, const std::string& summary);

// The confusion matrix (rows: true class) and the per-class accuracy table, as HTML; what
// `hsnet eval --html` writes inside a page of its own.
std::string confusion_section_html(const std::vector<std::int64_t>& confusion,
                                   const std::vector<std::string>& class_names,
                                   const std::vector<double>& per_class_accuracy);

}  // namespace hs::tools
