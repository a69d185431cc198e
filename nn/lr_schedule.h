#pragma once
// Learning-rate schedules, evaluated per optimizer step (not per epoch), so warm-up and
// cosine decay are smooth within an epoch. A training loop calls
// optimizer.set_lr(schedule.lr_at(step)) before each step; schedules hold no state, so a
// resumed run gets its rate back from the restored step count.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hs::nn {

// A learning rate as a function of the 0-based optimizer step.
class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  // The rate for step `step`; requires step >= 0 (an hs::Error otherwise).
  virtual double lr_at(std::int64_t step) const = 0;
};

// The same rate at every step. Requires base_lr > 0.
class ConstantLr : public LrSchedule {
 public:
  explicit ConstantLr(double base_lr);
  double lr_at(std::int64_t step) const override;

 private:
  double base_lr_;
};

// base_lr · gamma^k, where k counts the milestones (in steps) at or before `step`, like
// PyTorch's MultiStepLR. Requires base_lr > 0, gamma > 0 and milestones >= 0 (any order;
// a repeated milestone counts twice, as in PyTorch).
class MultiStepLr : public LrSchedule {
 public:
  MultiStepLr(double base_lr, std::vector<std::int64_t> milestones, double gamma = 0.1);
  double lr_at(std::int64_t step) const override;

 private:
  double base_lr_;
  std::vector<std::int64_t> milestones_;  // sorted
  double gamma_;
};

// Linear warm-up, base_lr·(step + 1)/warmup_steps for step < warmup_steps, then cosine decay
// min_lr + (base_lr − min_lr)·(1 + cos(π·t/T))/2 with t = step − warmup_steps and
// T = total_steps − warmup_steps; min_lr from total_steps on. Requires base_lr > 0,
// 0 <= warmup_steps < total_steps and 0 <= min_lr <= base_lr.
class CosineLr : public LrSchedule {
 public:
  CosineLr(double base_lr, std::int64_t total_steps, std::int64_t warmup_steps = 0,
           double min_lr = 0.0);
  double lr_at(std::int64_t step) const override;

 private:
  double base_lr_;
  std::int64_t total_steps_, warmup_steps_;
  double min_lr_;
};

// Builds the schedule `name` ("constant", "multistep" or "cosine") for a run of `epochs`
// epochs of `steps_per_epoch` steps, converting epochs to steps (a fractional warm-up rounds
// to the nearest step, so a one-epoch run can still warm up). warmup_epochs is for
// "cosine" and milestones_epochs (each in [1, epochs]) with gamma for "multistep"; setting
// them for another schedule, an unknown name or out-of-range counts is an hs::Error.
std::unique_ptr<LrSchedule> make_schedule(const std::string& name, double base_lr,
                                          std::int64_t steps_per_epoch, std::int64_t epochs,
                                          double warmup_epochs = 0,
                                          const std::vector<std::int64_t>& milestones_epochs = {},
                                          double gamma = 0.1);

}  // namespace hs::nn
