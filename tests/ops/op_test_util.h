#pragma once
// Helpers shared by the operator tests: tolerance checks against naive f64 references.
#include <algorithm>
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

// Largest |got - want| / (1 + |want|) over all elements; the sizes must agree.
inline double max_error(const Tensor& got, const std::vector<double>& want) {
  const std::vector<double> g = got.to_vector<double>();
  REQUIRE(g.size() == want.size());
  double err = 0;
  for (std::size_t i = 0; i < g.size(); ++i)
    err = std::max(err, std::abs(g[i] - want[i]) / (1 + std::abs(want[i])));
  return err;
}

}  // namespace hs::test
