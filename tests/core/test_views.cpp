// Views share storage and address the right elements; out-of-range requests are errors.
#include <catch2/catch.hpp>

#include "core/tensor.h"

using namespace hs;

namespace {
// [[0,1,2,3],[4,5,6,7],[8,9,10,11]] as f64.
Tensor grid() { return arange(12, DType::f64).view({3, 4}); }
std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }
}  // namespace

TEST_CASE("view and reshape", "[core][views]") {
  Tensor g = grid();
  Tensor v = g.view({4, 3});
  CHECK(v.shares_storage_with(g));
  CHECK(v.shape() == Shape{4, 3});
  CHECK(g.view({-1}).shape() == Shape{12});
  CHECK(g.view({2, -1, 2}).shape() == Shape{2, 3, 2});

  Tensor t = g.transpose(0, 1);  // not contiguous
  CHECK_FALSE(t.is_contiguous());
  REQUIRE_THROWS_WITH(t.view({12}), Catch::Contains("reshape"));
  Tensor r = t.reshape({12});
  CHECK_FALSE(r.shares_storage_with(g));
  CHECK(values(r) == std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  // Splitting a dim of a transposed tensor is still a view.
  CHECK(t.view({2, 2, 3}).shares_storage_with(g));
  CHECK(values(t.view({2, 2, 3})) == values(r));
  REQUIRE_THROWS_WITH(g.view({5, 2}), Catch::Contains("view") && Catch::Contains("[5,2]"));
  REQUIRE_THROWS_WITH(g.view({-1, -1}), Catch::Contains("-1"));
  CHECK(scalar_tensor(2.0).view({1, 1}).shape() == Shape{1, 1});
}

TEST_CASE("narrow and split", "[core][views]") {
  Tensor g = grid();
  Tensor n = g.narrow(1, 1, 2);
  CHECK(n.shares_storage_with(g));
  CHECK(values(n) == std::vector<double>{1, 2, 5, 6, 9, 10});
  auto parts = g.split(std::vector<std::int64_t>{1, 3}, 1);
  REQUIRE(parts.size() == 2);
  CHECK(values(parts[0]) == std::vector<double>{0, 4, 8});
  CHECK(values(parts[1]) == std::vector<double>{1, 2, 3, 5, 6, 7, 9, 10, 11});
  auto chunks = g.split(2, 0);
  REQUIRE(chunks.size() == 2);
  CHECK(chunks[1].shape() == Shape{1, 4});
  // Writing through a view writes the base.
  parts[0].fill_(-1);
  CHECK(values(g)[4] == -1);

  REQUIRE_THROWS_WITH(g.narrow(0, 2, 2), Catch::Contains("narrow") && Catch::Contains("[3,4]"));
  REQUIRE_THROWS_WITH(g.narrow(2, 0, 1), Catch::Contains("out of range"));
  REQUIRE_THROWS_WITH(g.split(std::vector<std::int64_t>{1, 2}, 1),
                      Catch::Contains("split") && Catch::Contains("sum to 3"));
}

TEST_CASE("transpose, permute, squeeze, unsqueeze", "[core][views]") {
  Tensor x = arange(24, DType::f64).view({2, 3, 4});
  Tensor p = x.permute({2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  // p[i][j][k] == x[j][k][i]
  const auto pv = values(p);
  CHECK(pv[(3 * 2 + 1) * 3 + 2] == (1 * 3 + 2) * 4 + 3);
  REQUIRE_THROWS_WITH(x.permute({0, 0, 1}), Catch::Contains("twice"));
  REQUIRE_THROWS_AS(x.permute({0, 1}), Error);

  Tensor u = x.unsqueeze(1);
  CHECK(u.shape() == Shape{2, 1, 3, 4});
  CHECK(x.unsqueeze(-1).shape() == Shape{2, 3, 4, 1});
  CHECK(u.squeeze(1).shape() == x.shape());
  CHECK(u.squeeze(0).shape() == u.shape());
  CHECK(zeros({1, 3, 1}).squeeze().shape() == Shape{3});
  CHECK(x.flatten(1).shape() == Shape{2, 12});
  CHECK(x.transpose(-1, 0).shape() == Shape{4, 3, 2});
}

TEST_CASE("expand broadcasts with zero strides", "[core][views]") {
  Tensor col = from_vector<double>({1, 2, 3}, {3, 1});
  Tensor e = col.expand({2, 3, 4});
  CHECK(e.shape() == Shape{2, 3, 4});
  CHECK(e.stride(0) == 0);
  CHECK(e.stride(2) == 0);
  const auto ev = values(e);
  CHECK(ev[0] == 1);
  CHECK(ev[4 + 3] == 2);
  CHECK(ev[12 + 8] == 3);
  CHECK(col.expand({-1, 2}).shape() == Shape{3, 2});
  REQUIRE_THROWS_WITH(col.expand({4, 4}), Catch::Contains("expand"));
  Tensor c = e.contiguous();
  CHECK(c.is_contiguous());
  CHECK(values(c) == ev);
}

TEST_CASE("as_strided stays inside its storage", "[core][views]") {
  Tensor g = grid();
  Tensor diag = g.as_strided({3}, {5}, 0);
  CHECK(values(diag) == std::vector<double>{0, 5, 10});
  REQUIRE_THROWS_WITH(g.as_strided({3}, {6}, 0), Catch::Contains("outside"));
}
