#pragma once
// Helpers of the CUDA tests: seeded random inputs, and a check that a CUDA result equals
// its CPU twin within a tolerance, element by element.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/tensor.h"

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
  const std::vector<double> g = gpu.to(Device::cpu()).to_vector<double>();
  const std::vector<double> c = cpu.to_vector<double>();
  std::int64_t worst = -1;
  double worst_excess = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (std::isnan(g[i]) && std::isnan(c[i])) continue;  // NaN where the CPU has NaN agrees
    const double excess = std::abs(g[i] - c[i]) - (atol + rtol * std::abs(c[i]));
    if (!(excess <= worst_excess)) {  // also catches NaN
      worst_excess = std::isnan(excess) ? INFINITY : excess;
      worst = static_cast<std::int64_t>(i);
    }
  }
  INFO("shape " << cpu.shape() << ", worst element " << worst << ": gpu "
                << (worst >= 0 ? g[worst] : 0.0) << " vs cpu " << (worst >= 0 ? c[worst] : 0.0));
  REQUIRE(worst == -1);
}

inline void require_equal(const Tensor& gpu, const Tensor& cpu) { require_close(gpu, cpu, 0, 0); }

// For results that are sums of many products (GEMMs, reductions), whose rounding error
// scales with the tensor rather than with each element: every element within
// tol * max(1, max |cpu|).
inline void require_close_to_scale(const Tensor& gpu, const Tensor& cpu, double tol) {
  double scale = 1.0;
  for (const double v : cpu.to_vector<double>()) scale = std::max(scale, std::abs(v));
  require_close(gpu, cpu, 0.0, tol * scale);
}

// The tolerance of require_close_to_scale for the dtype.
inline double scale_tol_for(DType t) { return t == DType::f32 ? 1e-5 : 1e-12; }

// Tolerances for comparing a CUDA result with the CPU's in the given dtype, for
// computations whose rounding may differ in the last bits (transcendentals, sums).
inline double rtol_for(DType t) { return t == DType::f32 ? 2e-6 : 1e-13; }
inline double atol_for(DType t) { return t == DType::f32 ? 1e-6 : 1e-13; }

}  // namespace hs::cuda_test
