#include "tools/step_log.h"

#include <algorithm>
#include <fstream>

namespace hs::tools {

StepLog::StepLog(std::int64_t steps_per_epoch, std::int64_t epochs)
    : steps_per_epoch_(std::max<std::int64_t>(1, steps_per_epoch)),
      interval_(std::max<std::int64_t>(1, steps_per_epoch * epochs / 200)) {}

void StepLog::resume_from(const std::filesystem::path& path, std::int64_t steps_done) {
  lines_.clear();
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    // A log is a convenience: a damaged line (a crash mid-write of an older version) is
    // skipped rather than stopping the resumed run.
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("step") && j["step"].is_number_integer() &&
        j["step"].get<std::int64_t>() <= steps_done)
      lines_.push_back(j);
  }
}

bool StepLog::add(std::int64_t global_step, double loss, std::int64_t correct, std::int64_t images,
                  double lr, double seconds) {
  loss_sum_ += loss * images;
  correct_ += correct;
  images_ += images;
  seconds_ += seconds;
  const std::int64_t done = global_step + 1;
  if (done % interval_ != 0 && done % steps_per_epoch_ != 0) return false;
  lines_.push_back({{"step", done},
                    {"epoch", static_cast<double>(done) / steps_per_epoch_},
                    {"loss", loss_sum_ / images_},
                    {"accuracy", static_cast<double>(correct_) / images_},
                    {"lr", lr},
                    {"images_per_second", images_ / std::max(1e-9, seconds_)}});
  loss_sum_ = seconds_ = 0;
  correct_ = images_ = 0;
  return true;
}

std::string StepLog::jsonl() const {
  std::string text;
  for (const auto& line : lines_) text += line.dump() + "\n";
  return text;
}

}  // namespace hs::tools
