// The one dim-merging rule (core/merged_dims.h) that the CPU copies, the CPU elementwise
// loops and the CUDA launchers share.
#include <catch2/catch.hpp>
#include <cstdint>

#include "core/merged_dims.h"

using std::int64_t;

namespace {

// Pushes dims (outer to inner) of `sizes` with two operands' strides.
template <std::size_t D>
hs::MergedDims<2> merged(const int64_t (&sizes)[D], const int64_t (&a)[D], const int64_t (&b)[D]) {
  hs::MergedDims<2> m;
  for (std::size_t d = 0; d < D; ++d) m.push(sizes[d], [&](int k) { return k == 0 ? a[d] : b[d]; });
  return m;
}

}  // namespace

TEST_CASE("merged dims: contiguous operands become one dim") {
  const hs::MergedDims<2> m = merged({2, 3, 4}, {12, 4, 1}, {12, 4, 1});
  REQUIRE(m.ndim == 1);
  REQUIRE(m.sizes[0] == 24);
  REQUIRE(m.strides[0][0] == 1);
  REQUIRE(m.strides[1][0] == 1);
}

TEST_CASE("merged dims: size-1 dims are dropped, an all-ones shape has no dims") {
  const hs::MergedDims<2> m = merged({1, 3, 1, 4}, {99, 4, 7, 1}, {5, 4, 3, 1});
  REQUIRE(m.ndim == 1);
  REQUIRE(m.sizes[0] == 12);
  REQUIRE(merged({1, 1}, {3, 1}, {3, 1}).ndim == 0);
}

TEST_CASE("merged dims: a dim merges only when every operand allows it") {
  // Operand 1 broadcast along dim 1 (stride 0) while operand 0 is contiguous: two dims.
  const hs::MergedDims<2> broadcast_inner = merged({4, 5}, {5, 1}, {1, 0});
  REQUIRE(broadcast_inner.ndim == 2);
  REQUIRE(broadcast_inner.sizes[0] == 4);
  REQUIRE(broadcast_inner.sizes[1] == 5);
  REQUIRE(broadcast_inner.strides[1][0] == 1);
  REQUIRE(broadcast_inner.strides[1][1] == 0);
  // A scalar broadcast everywhere (strides 0) merges like a contiguous operand.
  const hs::MergedDims<2> scalar = merged({4, 5}, {5, 1}, {0, 0});
  REQUIRE(scalar.ndim == 1);
  REQUIRE(scalar.sizes[0] == 20);
  REQUIRE(scalar.strides[0][0] == 1);
  REQUIRE(scalar.strides[1][0] == 0);
  // A transposed operand keeps both dims.
  REQUIRE(merged({3, 4}, {4, 1}, {1, 3}).ndim == 2);
  // A channel slice of a bigger tensor: the outer dim skips channels, the planes merge.
  const hs::MergedDims<2> slice = merged({2, 3, 4}, {24, 4, 1}, {12, 4, 1});
  REQUIRE(slice.ndim == 2);
  REQUIRE(slice.sizes[0] == 2);
  REQUIRE(slice.sizes[1] == 12);
  REQUIRE(slice.strides[0][0] == 24);
}
