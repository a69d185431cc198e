// The one device comparison of selftest and the CUDA tests (tools/device_compare.h), checked
// on CPU tensors: its tolerance, its NaN rule and its shape check.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/tensor.h"
#include "tools/device_compare.h"

using namespace hs;

namespace {
Tensor values(const std::vector<double>& v) { return from_vector(v); }
}  // namespace

TEST_CASE("device compare: within atol + rtol * |cpu| agrees, beyond it names the element") {
  const Tensor cpu = values({1.0, -2.0, 4.0});
  CHECK(compare_to_cpu(values({1.0, -2.0, 4.0}), cpu, 0.0, 0.0).ok());
  CHECK(compare_to_cpu(values({1.05, -2.0, 4.0}), cpu, 0.0, 0.1).ok());
  const DeviceDiff off = compare_to_cpu(values({1.0, -2.0, 4.5}), cpu, 0.1, 0.0);
  CHECK_FALSE(off.ok());
  CHECK(off.worst == 2);
  CHECK(off.device_value == 4.5);
  CHECK(off.cpu_value == 4.0);
  CHECK(off.max_abs_err == Approx(0.5));
}

TEST_CASE("device compare: NaN on both sides agrees, NaN on one side fails") {
  const double nan = std::nan("");
  CHECK(compare_to_cpu(values({nan, 1.0}), values({nan, 1.0}), 0.0, 0.0).ok());
  const DeviceDiff device_nan = compare_to_cpu(values({nan, 1.0}), values({0.0, 1.0}), 0.0, 1.0);
  CHECK_FALSE(device_nan.ok());
  CHECK(device_nan.worst == 0);
  CHECK(std::isinf(device_nan.max_abs_err));
  CHECK_FALSE(compare_to_cpu(values({0.0, 1.0}), values({0.0, nan}), 0.0, 1.0).ok());
}

TEST_CASE("device compare: a perturbation moves every device value; shapes must match") {
  CHECK_FALSE(compare_to_cpu(values({1.0}), values({1.0}), 0.0, 1e-3, 1e-2).ok());
  CHECK(compare_to_cpu(values({1.0}), values({1.0}), 0.0, 1e-1, 1e-2).ok());
  const DeviceDiff shape = compare_to_cpu(values({1.0, 2.0}), values({1.0}), 0.0, 1.0);
  CHECK_FALSE(shape.ok());
  CHECK_FALSE(shape.same_shape_and_dtype);
}
