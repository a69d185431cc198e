#pragma once
// Helpers shared by the operator tests: tolerance checks against naive f64 references.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace hs::test {

// Every element within tol (relative to 1 + |expected|); one assertion naming the worst.
inline void require_values(const Tensor& actual, const std::vector<double>& expected, double tol) {
  const std::vector<double> a = actual.to_vector<double>();
  REQUIRE(a.size() == expected.size());
  if (a.empty()) return;
  std::size_t worst = 0;
  double worst_excess = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < a.size(); ++i) {
    double excess = std::abs(a[i] - expected[i]) - tol * (1.0 + std::abs(expected[i]));
    if (std::isnan(excess)) excess = std::numeric_limits<double>::infinity();
    if (excess > worst_excess) {
      worst = i;
      worst_excess = excess;
    }
  }
  INFO("worst element " << worst << ": " << a[worst] << " vs " << expected[worst]);
  REQUIRE(worst_excess <= 0);
}

}  // namespace hs::test
