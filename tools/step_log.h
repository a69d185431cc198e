#pragma once
// StepLog: the per-step training log behind OUT/steps.jsonl. Every `interval` steps (and at
// each epoch's last step) one line: step (global, 1-based), epoch (fractional), loss and
// accuracy averaged over the steps since the last line, lr, images/s. On resume, lines past
// the checkpoint are dropped, so a killed run's log continues without a gap or a repeat.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace hs::tools {

class StepLog {
 public:
  // About 200 lines over the whole run, at least one per step.
  StepLog(std::int64_t steps_per_epoch, std::int64_t epochs);

  // Reads `path` (if present), keeping the lines with step <= `steps_done`.
  void resume_from(const std::filesystem::path& path, std::int64_t steps_done);
  // Adds one trained step; true when it completed a line.
  bool add(std::int64_t global_step, double loss, std::int64_t correct, std::int64_t images,
           double lr, double seconds);
  const std::vector<nlohmann::json>& lines() const { return lines_; }
  std::string jsonl() const;

 private:
  std::int64_t steps_per_epoch_, interval_;
  double loss_sum_ = 0, seconds_ = 0;
  std::int64_t correct_ = 0, images_ = 0;
  std::vector<nlohmann::json> lines_;
};

}  // namespace hs::tools
