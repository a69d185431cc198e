// ops/cat against a direct loop: every dim, negative dims, contiguous (memcpy path) and
// non-contiguous inputs, the NCHW channel case, dtypes, empty pieces, and each user error.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "ops/cat.h"

using hs::DType;
using hs::Shape;
using hs::Tensor;

namespace {

// out[.., offset_i + j, ..] = xs[i][.., j, ..], computed over logical indices.
std::vector<double> reference_cat(const std::vector<Tensor>& xs, int dim) {
  std::int64_t outer = 1;
  for (int d = 0; d < dim; ++d) outer *= xs[0].size(d);
  std::int64_t inner = 1;
  for (int d = dim + 1; d < xs[0].dim(); ++d) inner *= xs[0].size(d);
  std::int64_t total = 0;
  for (const Tensor& x : xs) total += x.size(dim);
  std::vector<double> out(outer * total * inner);
  std::int64_t offset = 0;
  for (const Tensor& x : xs) {
    const std::vector<double> xv = x.to_vector<double>();
    const std::int64_t len = x.size(dim);
    for (std::int64_t o = 0; o < outer; ++o)
      for (std::int64_t j = 0; j < len; ++j)
        for (std::int64_t i = 0; i < inner; ++i)
          out[(o * total + offset + j) * inner + i] = xv[(o * len + j) * inner + i];
    offset += len;
  }
  return out;
}

void check_cat(const std::vector<Tensor>& xs, std::int64_t dim) {
  const int d = static_cast<int>(dim < 0 ? dim + xs[0].dim() : dim);
  INFO("cat along " << dim << " of " << xs.size() << " tensors, first " << xs[0].shape()
                    << " strides " << xs[0].strides());
  const Tensor out = hs::ops::cat(xs, dim);
  Shape want_shape = xs[0].shape();
  want_shape[d] = 0;
  for (const Tensor& x : xs) want_shape[d] += x.size(d);
  REQUIRE(out.shape() == want_shape);
  REQUIRE(out.dtype() == xs[0].dtype());
  REQUIRE(out.is_contiguous());
  CHECK(out.to_vector<double>() == reference_cat(xs, d));
}

}  // namespace

TEST_CASE("cat along every dim of contiguous 3-D tensors", "[cat]") {
  hs::Generator gen(1);
  check_cat({hs::randn({2, 3, 4}, gen), hs::randn({1, 3, 4}, gen), hs::randn({3, 3, 4}, gen)}, 0);
  check_cat({hs::randn({2, 3, 4}, gen), hs::randn({2, 1, 4}, gen), hs::randn({2, 5, 4}, gen)}, 1);
  check_cat({hs::randn({2, 3, 4}, gen), hs::randn({2, 3, 2}, gen)}, 2);
  check_cat({hs::randn({2, 3, 4}, gen), hs::randn({2, 3, 1}, gen)}, -1);
  check_cat({hs::randn({2, 3, 4}, gen), hs::randn({2, 2, 4}, gen)}, -2);
}

TEST_CASE("cat of transposed and narrowed views", "[cat]") {
  hs::Generator gen(2);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor transposed = hs::randn({4, 3, 2}, gen, t).transpose(0, 2);  // [2,3,4]
    const Tensor narrowed = hs::randn({2, 6, 4}, gen, t).narrow(1, 1, 3);    // [2,3,4]
    const Tensor plain = hs::randn({2, 3, 4}, gen, t);
    for (std::int64_t dim : {0, 1, 2, -1}) check_cat({transposed, plain, narrowed}, dim);
    const Tensor expanded = hs::randn({2, 1, 4}, gen, t).expand({2, 3, 4});
    check_cat({expanded, transposed}, 1);
  }
}

TEST_CASE("cat of NCHW feature maps along channels", "[cat]") {
  hs::Generator gen(3);
  // Large enough for the per-image copies to run on several threads.
  const Tensor a = hs::randn({4, 16, 32, 32}, gen);
  const Tensor b = hs::randn({4, 8, 32, 32}, gen);
  const Tensor c = hs::randn({4, 24, 32, 32}, gen);
  check_cat({a, b, c}, 1);
  check_cat({a.narrow(1, 0, 8), b}, 1);
  // A split followed by cat gives the input back.
  const std::vector<Tensor> pieces = c.split({5, 11, 8}, 1);
  CHECK(hs::ops::cat(pieces, 1).to_vector<double>() == c.to_vector<double>());
}

TEST_CASE("cat keeps i64 values and copies a single input", "[cat]") {
  const Tensor a = hs::from_vector<std::int64_t>({1, 2, 3, 4}, {2, 2});
  const Tensor b = hs::from_vector<std::int64_t>({5000000000LL, 6}, {2, 1});
  const Tensor out = hs::ops::cat({a, b}, 1);
  REQUIRE(out.dtype() == DType::i64);
  CHECK(out.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 5000000000LL, 3, 4, 6});
  const Tensor alone = hs::ops::cat({a}, 0);
  CHECK(alone.to_vector<std::int64_t>() == a.to_vector<std::int64_t>());
  CHECK_FALSE(alone.shares_storage_with(a));
}

TEST_CASE("cat skips pieces of length zero", "[cat]") {
  hs::Generator gen(4);
  const Tensor a = hs::randn({2, 3}, gen);
  const Tensor none = hs::zeros({2, 0});
  check_cat({none, a, none, a}, 1);
  CHECK(hs::ops::cat({none, none}, 1).shape() == Shape{2, 0});
}

TEST_CASE("cat rejects inputs that do not fit together", "[cat][errors]") {
  const Tensor a = hs::zeros({2, 3});
  REQUIRE_THROWS_AS(hs::ops::cat({}, 0), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::cat({}, 0), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, hs::zeros({3, 3})}, 1), Catch::Contains("cat") &&
                                                                   Catch::Contains("[3,3]") &&
                                                                   Catch::Contains("[2,3]"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, hs::zeros({2, 3, 1})}, 0),
                      Catch::Contains("cat") && Catch::Contains("[2,3,1]"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, hs::zeros({2, 3}, DType::f64)}, 0),
                      Catch::Contains("cat") && Catch::Contains("f64"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, a}, 2), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, a}, -3), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(hs::ops::cat({hs::full({}, 1.0)}, 0), Catch::Contains("cat"));
  REQUIRE_THROWS_WITH(hs::ops::cat({a, Tensor()}, 0), Catch::Contains("cat"));
}
