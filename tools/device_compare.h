#pragma once
// DeviceDiff: how far a result computed on a device is from its CPU twin, element by element,
// with one rule for NaN: NaN on both sides agrees, NaN on one side fails. The one comparison
// of `hsnet selftest` (tools/selftest.cpp) and the CUDA tests (tests/cuda/device_compare.h).
#include <cstdint>

#include "core/tensor.h"

namespace hs {

struct DeviceDiff {
  bool same_shape_and_dtype = false;
  // The element whose |device − cpu| exceeds atol + rtol·|cpu| the most (-1: none does),
  // with both values.
  std::int64_t worst = -1;
  double device_value = 0, cpu_value = 0;
  // The largest |device − cpu| over the elements (infinite for NaN on one side only or a
  // shape/dtype mismatch).
  double max_abs_err = 0;
  bool ok() const { return same_shape_and_dtype && worst == -1; }
};

// Compares `on_device` (any device) with `on_cpu` (on the CPU); `perturbation` is added to
// every device value first (selftest's own test uses it to see a failure).
DeviceDiff compare_to_cpu(const Tensor& on_device, const Tensor& on_cpu, double rtol, double atol,
                          double perturbation = 0.0);

// max(1, max |t|): the scale of a result that is a sum of many products, whose rounding error
// grows with the tensor rather than with each element.
double comparison_scale(const Tensor& t);

}  // namespace hs
