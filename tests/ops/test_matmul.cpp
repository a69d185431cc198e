// ops/matmul and gemm_cpu against a direct triple loop in f64: 2-D and batched 3-D, plain,
// transposed, narrowed, expanded and non-BLAS-able operands, degenerate sizes, errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "ops/matmul.h"
#include "ops/op_test_util.h"
#include "test_util/reference_matmul.h"

using hs::DType;
using hs::Shape;
using hs::Tensor;
using hs::test::max_error;
using hs::test::reference_matmul;

namespace {

void check_matmul(const Tensor& a, const Tensor& b) {
  INFO("a " << a.shape() << " strides " << a.strides() << ", b " << b.shape() << " strides "
            << b.strides() << ", " << a.dtype());
  const Tensor c = hs::ops::matmul(a, b);
  Shape want_shape = a.shape();
  want_shape[a.dim() - 1] = b.size(-1);
  REQUIRE(c.shape() == want_shape);
  REQUIRE(c.is_contiguous());
  CHECK(max_error(c, reference_matmul(a, b)) <= (a.dtype() == DType::f32 ? 1e-5 : 1e-12));
}

}  // namespace

TEST_CASE("2-D matmul of contiguous matrices", "[matmul]") {
  hs::Generator gen(1);
  for (DType t : {DType::f32, DType::f64}) {
    check_matmul(hs::randn({5, 7}, gen, t), hs::randn({7, 3}, gen, t));
    check_matmul(hs::randn({1, 4}, gen, t), hs::randn({4, 1}, gen, t));
    check_matmul(hs::randn({6, 1}, gen, t), hs::randn({1, 5}, gen, t));
    check_matmul(hs::randn({64, 128}, gen, t), hs::randn({128, 96}, gen, t));
  }
}

TEST_CASE("2-D matmul of transposed and narrowed views", "[matmul]") {
  hs::Generator gen(2);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor at = hs::randn({7, 5}, gen, t).transpose(0, 1);  // [5,7], unit row stride
    const Tensor bt = hs::randn({3, 7}, gen, t).transpose(0, 1);  // [7,3]
    const Tensor a = hs::randn({5, 7}, gen, t);
    const Tensor b = hs::randn({7, 3}, gen, t);
    check_matmul(at, b);
    check_matmul(a, bt);
    check_matmul(at, bt);
    // Narrowed along columns: leading dimension larger than the row length.
    check_matmul(hs::randn({5, 10}, gen, t).narrow(1, 2, 7),
                 hs::randn({7, 8}, gen, t).narrow(1, 4, 3));
    // Transposed views of narrowed matrices: unit row stride, leading dimension 9.
    check_matmul(hs::randn({7, 9}, gen, t).narrow(1, 2, 5).transpose(0, 1), b);
    check_matmul(a, hs::randn({3, 9}, gen, t).narrow(1, 1, 7).transpose(0, 1));
  }
}

TEST_CASE("2-D matmul of layouts BLAS cannot read in place", "[matmul]") {
  hs::Generator gen(3);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor every_other_column = hs::randn({5, 14}, gen, t).as_strided({5, 7}, {14, 2}, 0);
    check_matmul(every_other_column, hs::randn({7, 3}, gen, t));
    const Tensor repeated_rows = hs::randn({1, 3}, gen, t).expand({7, 3});  // row stride 0
    check_matmul(hs::randn({5, 7}, gen, t), repeated_rows);
  }
}

TEST_CASE("batched matmul with plain, transposed and expanded operands", "[matmul]") {
  hs::Generator gen(4);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor a = hs::randn({4, 5, 6}, gen, t);
    const Tensor b = hs::randn({4, 6, 3}, gen, t);
    check_matmul(a, b);
    check_matmul(hs::randn({4, 6, 5}, gen, t).transpose(1, 2), b);
    check_matmul(a, hs::randn({4, 3, 6}, gen, t).transpose(1, 2));
    check_matmul(hs::randn({5, 4, 6}, gen, t).transpose(0, 1), b);  // batch stride 6
    // One shared right operand (batch stride 0): folded into one taller product.
    check_matmul(a, hs::randn({6, 3}, gen, t).unsqueeze(0).expand({4, 6, 3}));
    check_matmul(a, hs::randn({3, 6}, gen, t).transpose(0, 1).unsqueeze(0).expand({4, 6, 3}));
    check_matmul(hs::randn({4, 6, 5}, gen, t).transpose(1, 2),
                 hs::randn({6, 3}, gen, t).unsqueeze(0).expand({4, 6, 3}));
    // A's batches are not stacked rows (batch stride 6, row stride 24): no folding.
    check_matmul(hs::randn({5, 4, 6}, gen, t).transpose(0, 1),
                 hs::randn({6, 3}, gen, t).unsqueeze(0).expand({4, 6, 3}));
    check_matmul(hs::randn({1, 5, 6}, gen, t), hs::randn({1, 6, 3}, gen, t));
  }
}

TEST_CASE("many small batched products run one per thread", "[matmul]") {
  hs::Generator gen(5);
  const int saved = hs::num_threads();
  hs::set_num_threads(2);
  check_matmul(hs::randn({32, 8, 9}, gen), hs::randn({32, 9, 7}, gen));
  check_matmul(hs::randn({32, 9, 8}, gen, DType::f64).transpose(1, 2),
               hs::randn({32, 9, 7}, gen, DType::f64));
  hs::set_num_threads(saved);
}

TEST_CASE("matmul with an empty inner or outer dim", "[matmul]") {
  const Tensor zero_inner = hs::ops::matmul(hs::ones({3, 0}), hs::ones({0, 4}));
  REQUIRE(zero_inner.shape() == Shape{3, 4});
  CHECK(zero_inner.to_vector<double>() == std::vector<double>(12, 0.0));
  CHECK(hs::ops::matmul(hs::ones({0, 2}), hs::ones({2, 4})).shape() == Shape{0, 4});
  CHECK(hs::ops::matmul(hs::ones({2, 0, 2}), hs::ones({2, 2, 4})).shape() == Shape{2, 0, 4});
}

TEST_CASE("gemm_cpu applies alpha, beta and transposes", "[matmul]") {
  // A^T is [2,3] stored as A [3,2]; C = 2 * A^T * B + 0.5 * C.
  const std::vector<double> a = {1, 2, 3, 4, 5, 6};   // [3,2]
  const std::vector<double> b = {1, 0, -1, 2, 1, 0};  // [3,2]
  std::vector<double> c = {1, 1, 1, 1};               // [2,2]
  hs::ops::gemm_cpu<double>(true, false, 2, 2, 3, 2.0, a.data(), 2, b.data(), 2, 0.5, c.data(), 2);
  // A^T = [[1,3,5],[2,4,6]]; A^T B = [[1-3+5, 0+6+0], [2-4+6, 0+8+0]] = [[3,6],[4,8]].
  CHECK(c == std::vector<double>{6.5, 12.5, 8.5, 16.5});
  std::vector<float> cf = {0, 0, 0, 0};
  const std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end());
  hs::ops::gemm_cpu<float>(true, false, 2, 2, 3, 1.0f, af.data(), 2, bf.data(), 2, 0.0f, cf.data(),
                           2);
  CHECK(cf == std::vector<float>{3, 6, 4, 8});
}

TEST_CASE("matmul rejects mismatched operands", "[matmul][errors]") {
  const Tensor a = hs::zeros({2, 3});
  REQUIRE_THROWS_AS(hs::ops::matmul(a, hs::zeros({4, 5})), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::matmul(a, hs::zeros({4, 5})), Catch::Contains("matmul") &&
                                                                 Catch::Contains("[2,3]") &&
                                                                 Catch::Contains("[4,5]"));
  REQUIRE_THROWS_WITH(hs::ops::matmul(hs::zeros({3}), hs::zeros({3})),
                      Catch::Contains("matmul") && Catch::Contains("[3]"));
  REQUIRE_THROWS_WITH(hs::ops::matmul(a, hs::zeros({1, 3, 4})),
                      Catch::Contains("matmul") && Catch::Contains("[1,3,4]"));
  REQUIRE_THROWS_WITH(hs::ops::matmul(hs::zeros({1, 1, 2, 3}), hs::zeros({1, 1, 3, 2})),
                      Catch::Contains("matmul"));
  REQUIRE_THROWS_WITH(hs::ops::matmul(hs::zeros({2, 2, 3}), hs::zeros({3, 3, 4})),
                      Catch::Contains("matmul") && Catch::Contains("batch") &&
                          Catch::Contains("[2,2,3]") && Catch::Contains("[3,3,4]"));
  REQUIRE_THROWS_WITH(hs::ops::matmul(hs::zeros({2, 3}, DType::i64), hs::zeros({3, 2}, DType::i64)),
                      Catch::Contains("matmul") && Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(
      hs::ops::matmul(a, hs::zeros({3, 2}, DType::f64)),
      Catch::Contains("matmul") && Catch::Contains("f32") && Catch::Contains("f64"));
}
