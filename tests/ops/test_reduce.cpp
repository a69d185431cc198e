// ops/reduce: sum and mean over every dim set against a direct f64 loop, keepdim, negative
// dims, non-contiguous inputs, the long-row and multithreaded paths, f32 accuracy, sum_to,
// and each user error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "ops/op_test_util.h"
#include "ops/reduce.h"

using hs::DType;
using hs::Shape;
using hs::Tensor;
using hs::test::max_error;

namespace {

// Sums x's elements into the output element that drops (or zeroes) the reduced dims.
std::vector<double> reference_sum(const Tensor& x, const std::vector<bool>& reduced) {
  const Shape& s = x.shape();
  std::int64_t out_numel = 1;
  for (int d = 0; d < s.size(); ++d)
    if (!reduced[d]) out_numel *= s[d];
  std::vector<double> out(out_numel, 0.0);
  const std::vector<double> xv = x.to_vector<double>();
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    std::int64_t rest = i;
    std::int64_t out_index = 0;
    std::int64_t scale = 1;
    for (int d = s.size() - 1; d >= 0; --d) {
      const std::int64_t digit = rest % s[d];
      rest /= s[d];
      if (reduced[d]) continue;
      out_index += digit * scale;
      scale *= s[d];
    }
    out[out_index] += xv[i];
  }
  return out;
}

double tolerance(DType t) { return t == DType::f32 ? 1e-6 : 1e-13; }

// Checks sum and mean of x over `dims` with and without keepdim.
void check_reduction(const Tensor& x, const std::vector<std::int64_t>& dims) {
  std::vector<bool> reduced(x.dim(), dims.empty());
  for (std::int64_t d : dims) reduced[d < 0 ? d + x.dim() : d] = true;
  const std::vector<double> sums = reference_sum(x, reduced);
  double count = 1;
  Shape dropped, kept;
  for (int d = 0; d < x.dim(); ++d) {
    if (reduced[d]) {
      count *= x.size(d);
      kept.push_back(1);
    } else {
      dropped.push_back(x.size(d));
      kept.push_back(x.size(d));
    }
  }
  std::vector<double> means = sums;
  for (double& m : means) m /= count;
  INFO("x " << x.shape() << " strides " << x.strides() << " dtype " << x.dtype());
  for (bool keepdim : {false, true}) {
    INFO("keepdim " << keepdim);
    const Tensor s = hs::ops::sum(x, dims, keepdim);
    const Tensor m = hs::ops::mean(x, dims, keepdim);
    REQUIRE(s.shape() == (keepdim ? kept : dropped));
    REQUIRE(m.shape() == s.shape());
    CHECK(max_error(s, sums) <= tolerance(x.dtype()));
    CHECK(max_error(m, means) <= tolerance(x.dtype()));
  }
}

}  // namespace

TEST_CASE("sum and mean over every set of dims of a 3-D tensor", "[reduce]") {
  hs::Generator gen(1);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor x = hs::randn({3, 4, 5}, gen, t);
    check_reduction(x, {});
    for (std::vector<std::int64_t> dims :
         {std::vector<std::int64_t>{0}, {1}, {2}, {0, 1}, {1, 2}, {0, 2}, {2, 0}, {0, 1, 2}})
      check_reduction(x, dims);
  }
}

TEST_CASE("negative dims name the same dims as their positive twins", "[reduce]") {
  hs::Generator gen(2);
  const Tensor x = hs::randn({2, 3, 4}, gen, DType::f64);
  check_reduction(x, {-1});
  check_reduction(x, {-3, -1});
  CHECK(hs::ops::sum(x, {-1}).to_vector<double>() == hs::ops::sum(x, {2}).to_vector<double>());
  CHECK(hs::ops::mean(x, {-2}, true).shape() == Shape{2, 1, 4});
}

TEST_CASE("reductions of non-contiguous views", "[reduce]") {
  hs::Generator gen(3);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor transposed = hs::randn({5, 4, 3}, gen, t).transpose(0, 2);  // [3,4,5]
    check_reduction(transposed, {});
    check_reduction(transposed, {1});
    check_reduction(transposed, {0, 2});
    const Tensor narrowed = hs::randn({4, 9}, gen, t).narrow(1, 2, 6);
    check_reduction(narrowed, {0});
    check_reduction(narrowed, {1});
    const Tensor expanded = hs::randn({3, 1}, gen, t).expand({3, 5});
    check_reduction(expanded, {0});
    check_reduction(expanded, {});
  }
}

TEST_CASE("NCHW reductions over (0,2,3), (2,3) and the batch dim", "[reduce]") {
  hs::Generator gen(4);
  const Tensor x = hs::randn({8, 16, 9, 9}, gen);
  check_reduction(x, {0, 2, 3});
  check_reduction(x, {2, 3});
  check_reduction(x, {0});
  check_reduction(x, {1, 3});
  check_reduction(x, {-4, 1, -1});
}

TEST_CASE("long rows and tall columns take the chunked and multithreaded paths", "[reduce]") {
  hs::Generator gen(5);
  check_reduction(hs::randn({3, 40000}, gen), {1});
  check_reduction(hs::randn({40000, 3}, gen), {0});
  check_reduction(hs::randn({2, 70001}, gen, DType::f64), {});
  check_reduction(hs::randn({300, 700}, gen), {0});
  check_reduction(hs::randn({700, 300}, gen), {1});
}

TEST_CASE("f32 sums accumulate in double", "[reduce]") {
  const std::int64_t n = 1 << 21;
  const Tensor x = hs::full({n}, 0.1);
  const double want = static_cast<double>(n) * static_cast<double>(0.1f);
  // A running f32 sum of 2^21 values of 0.1 drifts by more than 1%.
  CHECK(std::abs(hs::ops::sum(x).item() - want) <= 1e-6 * want);
  CHECK(std::abs(hs::ops::mean(x).item() - 0.1f) <= 1e-7);
  const Tensor rows = hs::full({4, n / 4}, 0.1).transpose(0, 1);
  const std::vector<double> column_sums = hs::ops::sum(rows, {0}).to_vector<double>();
  for (double s : column_sums) CHECK(std::abs(s - want / 4) <= 1e-6 * want);
}

TEST_CASE("i64 sums are exact", "[reduce]") {
  const Tensor x = hs::from_vector<std::int64_t>({1, 2, 3, 4000000000LL, 5, 6}, {2, 3});
  const Tensor all = hs::ops::sum(x);
  REQUIRE(all.dtype() == DType::i64);
  CHECK(all.to_vector<std::int64_t>() == std::vector<std::int64_t>{4000000017LL});
  CHECK(hs::ops::sum(x, {0}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{4000000001LL, 7, 9});
  CHECK(hs::ops::sum(x, {1}).to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{6, 4000000011LL});
}

TEST_CASE("reductions over empty and size-1 dims", "[reduce]") {
  const Tensor empty_rows = hs::zeros({0, 3});
  const Tensor s = hs::ops::sum(empty_rows, {0});
  REQUIRE(s.shape() == Shape{3});
  CHECK(s.to_vector<double>() == std::vector<double>{0, 0, 0});
  CHECK(hs::ops::sum(empty_rows, {1}).shape() == Shape{0});
  const Tensor ones = hs::ones({2, 1, 3});
  CHECK(hs::ops::mean(ones, {1}).to_vector<double>() == std::vector<double>(6, 1.0));
  CHECK(hs::ops::sum(hs::full({}, 2.5)).item() == 2.5);
}

TEST_CASE("sum_to undoes broadcasting", "[reduce]") {
  hs::Generator gen(6);
  const Tensor x = hs::randn({2, 3, 4}, gen, DType::f64);
  const Tensor to_col = hs::ops::sum_to(x, {3, 1});
  REQUIRE(to_col.shape() == Shape{3, 1});
  CHECK(max_error(to_col, reference_sum(x, {true, false, true})) <= 1e-13);
  const Tensor to_row = hs::ops::sum_to(x, {4});
  REQUIRE(to_row.shape() == Shape{4});
  CHECK(max_error(to_row, reference_sum(x, {true, true, false})) <= 1e-13);
  const Tensor to_first = hs::ops::sum_to(x, {1, 3, 4});
  REQUIRE(to_first.shape() == Shape{1, 3, 4});
  CHECK(max_error(to_first, reference_sum(x, {true, false, false})) <= 1e-13);
  const Tensor scalar_like = hs::ops::sum_to(x, {1});
  CHECK(std::abs(scalar_like.item() - reference_sum(x, {true, true, true})[0]) <= 1e-12);
  const Tensor same = hs::ops::sum_to(x, {2, 3, 4});
  CHECK(same.shares_storage_with(x));
}

TEST_CASE("reductions reject bad dims and dtypes", "[reduce][errors]") {
  const Tensor x = hs::zeros({2, 3});
  REQUIRE_THROWS_AS(hs::ops::sum(x, {1, -1}), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::sum(x, {1, -1}), Catch::Contains("sum") && Catch::Contains("1"));
  REQUIRE_THROWS_WITH(hs::ops::mean(x, {0, 0}), Catch::Contains("mean"));
  REQUIRE_THROWS_WITH(hs::ops::sum(x, {2}), Catch::Contains("sum") && Catch::Contains("2"));
  REQUIRE_THROWS_WITH(hs::ops::mean(x, {-3}), Catch::Contains("mean"));
  REQUIRE_THROWS_WITH(hs::ops::mean(hs::zeros({2}, DType::i64)),
                      Catch::Contains("mean") && Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(hs::ops::sum(Tensor()), Catch::Contains("sum"));
}

TEST_CASE("sum_to rejects shapes that are not a broadcast source", "[reduce][errors]") {
  const Tensor x = hs::zeros({2, 3});
  REQUIRE_THROWS_AS(hs::ops::sum_to(x, {3, 2}), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::sum_to(x, {3, 2}), Catch::Contains("sum_to") &&
                                                      Catch::Contains("[2,3]") &&
                                                      Catch::Contains("[3,2]"));
  REQUIRE_THROWS_WITH(hs::ops::sum_to(x, {1, 2, 3}), Catch::Contains("sum_to"));
  REQUIRE_THROWS_WITH(hs::ops::sum_to(x, {2}), Catch::Contains("sum_to"));
}
