#pragma once
// OUT/report.html of a training run: loss, accuracy and lr per step, loss and accuracy per
// epoch, the best checkpoint's test confusion matrix and per-class accuracy, the model
// summary and the resolved config — read from what the run saved in OUT.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace hs::tools {

// The page for the run in `out` (steps.jsonl, metrics.jsonl, best_eval.json as far as they
// exist), with `config` and the model summary table `summary`.
std::string run_report_html(const std::filesystem::path& out, const std::string& title,
                            const nlohmann::json& config, const std::string& summary);

}  // namespace hs::tools
