#pragma once
// Shared helpers of the autograd tests: seeded f64 inputs, non-contiguous copies,
// broadcast-aware naive references and a gradcheck assertion that prints the report.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/variable.h"
#include "core/tensor.h"
#include "test_util/require_values.h"

namespace hs::test {

inline Tensor uniform64(const Shape& shape, Generator& gen, double low = -1.0, double high = 1.0) {
  return rand(shape, gen, DType::f64, low, high);
}

inline Tensor normal64(const Shape& shape, Generator& gen, double mean = 0.0, double std = 1.0) {
  return randn(shape, gen, DType::f64, mean, std);
}

// Values in [low, high) with a random sign: away from zero, for relu and friends.
inline Tensor away_from_zero64(const Shape& shape, Generator& gen, double low = 0.2,
                               double high = 1.0) {
  Tensor t = uniform64(shape, gen, low, high);
  std::vector<double> v = t.to_vector<double>();
  for (double& x : v)
    if (gen.uniform() < 0.5) x = -x;
  return from_vector(v, shape);
}

// A copy of t whose elements are spread two apart in a larger storage: same values,
// not contiguous (when it has more than one element).
inline Tensor spread_copy(const Tensor& t) {
  Shape strides = contiguous_strides(t.shape());
  for (std::int64_t& s : strides) s *= 2;
  Tensor base = zeros({2 * t.numel() + 1}, TensorOptions(t.dtype(), t.device()));
  Tensor out = base.as_strided(t.shape(), strides, 1);
  out.copy_(t);
  return out;
}

// A copy of t laid out with its last two dims swapped in memory (a transposed view).
inline Tensor transposed_copy(const Tensor& t) {
  Tensor base = empty(t.transpose(-1, -2).shape(), TensorOptions(t.dtype(), t.device()));
  Tensor out = base.transpose(-1, -2);
  out.copy_(t);
  return out;
}

// Row-major multi-index of flat position n in `shape`.
inline std::vector<std::int64_t> unravel(std::int64_t n, const Shape& shape) {
  std::vector<std::int64_t> idx(shape.size());
  for (int d = shape.size() - 1; d >= 0; --d) {
    idx[d] = n % shape[d];
    n /= shape[d];
  }
  return idx;
}

// t's values laid out in `out_shape` under NumPy broadcasting, computed index by index.
inline std::vector<double> broadcast_values(const Tensor& t, const Shape& out_shape) {
  const std::vector<double> v = t.to_vector<double>();
  const Shape& s = t.shape();
  const int lead = out_shape.size() - s.size();
  std::vector<double> out(out_shape.numel());
  for (std::int64_t n = 0; n < out_shape.numel(); ++n) {
    const std::vector<std::int64_t> idx = unravel(n, out_shape);
    std::int64_t flat = 0;
    for (int d = 0; d < s.size(); ++d) flat = flat * s[d] + (s[d] == 1 ? 0 : idx[d + lead]);
    out[n] = v[flat];
  }
  return out;
}

inline void require_gradcheck(const std::function<Variable(const std::vector<Variable>&)>& fn,
                              const std::vector<Variable>& inputs) {
  const GradcheckResult result = gradcheck(fn, inputs);
  INFO(result.report());
  REQUIRE(result.ok);
  REQUIRE(!result.inputs.empty());
}

}  // namespace hs::test
