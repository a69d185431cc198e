#include "nn/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace hs::nn {

namespace {

void check_base_lr(const char* schedule, double base_lr) {
  HS_CHECK(std::isfinite(base_lr) && base_lr > 0.0, schedule, ": base_lr must be > 0, got ",
           base_lr);
}

void check_step(const char* schedule, std::int64_t step) {
  HS_CHECK(step >= 0, schedule, ": lr_at: step must be >= 0, got ", step);
}

}  // namespace

ConstantLr::ConstantLr(double base_lr) : base_lr_(base_lr) { check_base_lr("constant", base_lr); }

double ConstantLr::lr_at(std::int64_t step) const {
  check_step("constant", step);
  return base_lr_;
}

MultiStepLr::MultiStepLr(double base_lr, std::vector<std::int64_t> milestones, double gamma)
    : base_lr_(base_lr), milestones_(std::move(milestones)), gamma_(gamma) {
  check_base_lr("multistep", base_lr);
  HS_CHECK(std::isfinite(gamma) && gamma > 0.0, "multistep: gamma must be > 0, got ", gamma);
  for (std::int64_t m : milestones_)
    HS_CHECK(m >= 0, "multistep: milestones must be >= 0, got ", m);
  std::sort(milestones_.begin(), milestones_.end());
}

double MultiStepLr::lr_at(std::int64_t step) const {
  check_step("multistep", step);
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), step) - milestones_.begin();
  return base_lr_ * std::pow(gamma_, static_cast<double>(passed));
}

CosineLr::CosineLr(double base_lr, std::int64_t total_steps, std::int64_t warmup_steps,
                   double min_lr)
    : base_lr_(base_lr), total_steps_(total_steps), warmup_steps_(warmup_steps), min_lr_(min_lr) {
  check_base_lr("cosine", base_lr);
  HS_CHECK(total_steps > 0, "cosine: total_steps must be > 0, got ", total_steps);
  HS_CHECK(warmup_steps >= 0 && warmup_steps < total_steps,
           "cosine: warmup_steps must be in [0, total_steps = ", total_steps, "), got ",
           warmup_steps);
  HS_CHECK(min_lr >= 0.0 && min_lr <= base_lr, "cosine: min_lr must be in [0, base_lr = ", base_lr,
           "], got ", min_lr);
}

double CosineLr::lr_at(std::int64_t step) const {
  check_step("cosine", step);
  if (step < warmup_steps_)
    return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  if (step >= total_steps_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_steps_) / static_cast<double>(total_steps_ - warmup_steps_);
  return min_lr_ + (base_lr_ - min_lr_) * (1.0 + std::cos(std::numbers::pi * progress)) / 2.0;
}

std::unique_ptr<LrSchedule> make_schedule(const std::string& name, double base_lr,
                                          std::int64_t steps_per_epoch, std::int64_t epochs,
                                          double warmup_epochs,
                                          const std::vector<std::int64_t>& milestones_epochs,
                                          double gamma) {
  HS_CHECK(name == "constant" || name == "multistep" || name == "cosine",
           "make_schedule: unknown schedule '", name, "' (valid: constant, multistep, cosine)");
  HS_CHECK(steps_per_epoch > 0, "make_schedule: steps_per_epoch must be > 0, got ",
           steps_per_epoch);
  HS_CHECK(epochs > 0, "make_schedule: epochs must be > 0, got ", epochs);
  HS_CHECK(warmup_epochs == 0 || name == "cosine", "make_schedule: warmup_epochs (", warmup_epochs,
           ") is supported by 'cosine' only, not '", name, "'");
  HS_CHECK(milestones_epochs.empty() || name == "multistep",
           "make_schedule: milestones are for 'multistep' only, not '", name, "'");

  if (name == "constant") return std::make_unique<ConstantLr>(base_lr);
  if (name == "multistep") {
    std::vector<std::int64_t> milestones;
    for (std::int64_t m : milestones_epochs) {
      HS_CHECK(m >= 1 && m <= epochs, "make_schedule: milestone epoch ", m,
               " is outside [1, epochs = ", epochs, "]");
      milestones.push_back(m * steps_per_epoch);
    }
    return std::make_unique<MultiStepLr>(base_lr, std::move(milestones), gamma);
  }
  HS_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
           "make_schedule: warmup_epochs must be in [0, epochs = ", epochs, "), got ",
           warmup_epochs);
  const auto warmup_steps =
      static_cast<std::int64_t>(std::llround(warmup_epochs * static_cast<double>(steps_per_epoch)));
  return std::make_unique<CosineLr>(base_lr, epochs * steps_per_epoch, warmup_steps);
}

}  // namespace hs::nn
