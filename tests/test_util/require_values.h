#pragma once
// The element-wise tolerance check of the tests: every element of `actual` within tol of its
// expected value, relative to 1 + |expected| (so tol is absolute near zero, relative for large
// values). One assertion naming the worst element; a NaN anywhere fails.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "core/tensor.h"

namespace hs::test {

inline void require_values(const Tensor& actual, const std::vector<double>& expected,
                           double tol = 1e-12) {
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
  INFO("worst element " << worst << " of " << a.size() << ": " << a[worst] << " vs "
                        << expected[worst] << " (tol " << tol << ")");
  REQUIRE(worst_excess <= 0);
}

// The same check against another tensor, whose shape must match too.
inline void require_values(const Tensor& actual, const Tensor& expected, double tol = 1e-12) {
  REQUIRE(actual.shape() == expected.shape());
  require_values(actual, expected.to_vector<double>(), tol);
}

}  // namespace hs::test
