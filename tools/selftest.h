#pragma once
// The check `hsnet selftest` runs on a device: every operator on that device against its CPU
// twin on the same seeded random inputs (forward and backward), then SGD steps of a small
// HS-ResNet on both from the same initial weights, comparing the losses and the updates step
// by step. With the CPU as the device the same machinery compares the CPU with itself (and
// must agree exactly).
//
// Each training step starts the device from the CPU's state (weights, BatchNorm statistics,
// momentum): two f32 runs of this small network drift apart by percents within a few steps
// even when they differ only by one rounding (measured on two CPU runs, and likewise in
// PyTorch: ReLU masks flip), so comparing free-running trajectories could not tell a bug from
// rounding.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"

namespace hs::tools {

// What to check. The last four are for the tests (0/false in real runs), to see a wrong
// result caught and a correct one passed: perturbation is added to every value the device
// computes before it is compared; weights_error adds that fraction of each weight tensor's
// update (as the CPU made it) to the device's weights after each training step; stats_error
// is added to each BatchNorm running statistic of the device after each step; rounding_twin
// moves every weight the device starts each step from by one f32 rounding (a correct device
// that rounds otherwise than the CPU), which must pass.
struct SelftestOptions {
  Device device = Device::cuda();
  std::uint64_t seed = 0;
  std::int64_t train_steps = 20;
  double perturbation = 0.0;
  double weights_error = 0.0;
  double stats_error = 0.0;
  bool rounding_twin = false;
};

// One compared operator result: the largest |device − cpu| over its elements and the bound
// it must stay within (relative to the result's scale, max(1, max |cpu|)).
struct SelftestCheck {
  std::string name;
  double max_abs_err = 0;
  double tolerance = 0;
  bool ok = false;
};

// One training step from the same state on both devices: the loss (before the update), and
// for the weights and the BatchNorm running statistics after it, the worst ratio over their
// tensors of the error to that tensor's tolerance (within when <= 1): for a weight tensor the
// norm of (device − cpu) against the norm of the CPU's update, for a statistic the largest
// |device − cpu| against its scale.
struct SelftestStep {
  std::int64_t step = 0;
  double cpu_loss = 0, device_loss = 0, loss_tolerance = 0;
  double weights_ratio = 0, stats_ratio = 0;
  bool ok = false;
};

// A training step's weights pass when, per tensor, |device − cpu| <= this · |cpu update| (plus
// the rounding of the update); why this figure: tools/selftest.cpp.
inline constexpr double kSelftestWeightsTol = 0.25;

struct SelftestReport {
  std::vector<SelftestCheck> ops;
  std::vector<SelftestStep> steps;
  // True when every check and every step is within its tolerance.
  bool ok() const;
};

// Runs the selftest. An hs::Error when the device cannot be used (a build without CUDA, a
// machine without a GPU) or train_steps < 1.
SelftestReport run_selftest(const SelftestOptions& options);

// Writes the operator table, the training table and, as the last line, exactly
// "selftest: PASS" or "selftest: FAIL".
void print_selftest(const SelftestReport& report, const SelftestOptions& options,
                    std::ostream& out);

}  // namespace hs::tools
