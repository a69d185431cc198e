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

// What to check. perturbation is added to every value the device computes before it is
// compared (0 in real runs): it lets the tests see a wrong result caught.
struct SelftestOptions {
  Device device = Device::cuda();
  std::uint64_t seed = 0;
  std::int64_t train_steps = 20;
  double perturbation = 0.0;
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
// tensors of the largest |device − cpu| to that tensor's tolerance (within when <= 1).
struct SelftestStep {
  std::int64_t step = 0;
  double cpu_loss = 0, device_loss = 0, loss_tolerance = 0;
  double weights_ratio = 0, stats_ratio = 0;
  bool ok = false;
};

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
