#pragma once
// Helpers of the CUDA tests: a check that a CUDA result equals its CPU twin within a
// tolerance, element by element, through the comparison `hsnet selftest` uses
// (tools/device_compare.h).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "tools/device_compare.h"

namespace hs::cuda_test {

inline const Device kGpu = Device::cuda();

// Requires gpu (a CUDA tensor) and cpu to agree in shape and dtype, and every element to
// satisfy |gpu - cpu| <= atol + rtol * |cpu| (or be NaN on both); reports the worst element
// otherwise.
inline void require_close(const Tensor& gpu, const Tensor& cpu, double rtol, double atol) {
  REQUIRE(gpu.is_cuda());
  REQUIRE(cpu.is_cpu());
  REQUIRE(gpu.shape() == cpu.shape());
  REQUIRE(gpu.dtype() == cpu.dtype());
  const DeviceDiff d = compare_to_cpu(gpu, cpu, rtol, atol);
  INFO("shape " << cpu.shape() << ", worst element " << d.worst << ": gpu " << d.device_value
                << " vs cpu " << d.cpu_value);
  REQUIRE(d.ok());
}

inline void require_equal(const Tensor& gpu, const Tensor& cpu) { require_close(gpu, cpu, 0, 0); }

// For results that are sums of many products (GEMMs, reductions), whose rounding error
// scales with the tensor rather than with each element: every element within
// tol * max(1, max |cpu|).
inline void require_close_to_scale(const Tensor& gpu, const Tensor& cpu, double tol) {
  require_close(gpu, cpu, 0.0, tol * comparison_scale(cpu));
}

// The tolerance of require_close_to_scale for the dtype.
inline double scale_tol_for(DType t) { return t == DType::f32 ? 1e-5 : 1e-12; }

// Tolerances for comparing a CUDA result with the CPU's in the given dtype, for
// computations whose rounding may differ in the last bits (transcendentals, sums).
inline double rtol_for(DType t) { return t == DType::f32 ? 2e-6 : 1e-13; }
inline double atol_for(DType t) { return t == DType::f32 ? 1e-6 : 1e-13; }

}  // namespace hs::cuda_test
