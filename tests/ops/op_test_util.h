#pragma once
// Helpers shared by the operator tests: tolerance checks against naive f64 references
// (require_values lives in test_util, shared with the other suites).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/tensor.h"
#include "test_util/require_values.h"

namespace hs::test {

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
