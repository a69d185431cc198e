// ops/elementwise: every op against a direct f64 loop, over broadcasting, non-contiguous
// and expanded inputs, i64, the parallel path, and each user error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "ops/elementwise.h"
#include "ops/op_test_util.h"

using hs::DType;
using hs::Shape;
using hs::Tensor;
using hs::ops::BinaryOp;
using hs::ops::UnaryOp;
using hs::test::max_error;

namespace {

// Row-major index into `in` of the element that broadcasts to out's element i.
std::int64_t broadcast_source(const Shape& out, const Shape& in, std::int64_t i) {
  std::int64_t index = 0;
  std::int64_t scale = 1;
  for (int d = out.size() - 1; d >= 0; --d) {
    const std::int64_t digit = i % out[d];
    i /= out[d];
    const int di = in.size() - out.size() + d;
    if (di < 0) continue;
    if (in[di] != 1) index += digit * scale;
    scale *= in[di];
  }
  return index;
}

double reference_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::div:
      return a / b;
  }
  return 0;
}

std::vector<double> reference_binary(BinaryOp op, const Tensor& a, const Tensor& b,
                                     const Shape& out) {
  const std::vector<double> av = a.to_vector<double>();
  const std::vector<double> bv = b.to_vector<double>();
  std::vector<double> r(out.numel());
  for (std::int64_t i = 0; i < out.numel(); ++i)
    r[i] = reference_binary(op, av[broadcast_source(out, a.shape(), i)],
                            bv[broadcast_source(out, b.shape(), i)]);
  return r;
}

double tolerance(DType t) { return t == DType::f32 ? 2e-6 : 1e-14; }

const BinaryOp kBinaryOps[] = {BinaryOp::add, BinaryOp::sub, BinaryOp::mul, BinaryOp::div};

void check_binary(const Tensor& a, const Tensor& b, const Shape& expected_shape) {
  for (BinaryOp op : kBinaryOps) {
    INFO("op " << static_cast<int>(op) << ", a " << a.shape() << " strides " << a.strides()
               << ", b " << b.shape() << " strides " << b.strides());
    const Tensor out = hs::ops::binary(op, a, b);
    REQUIRE(out.shape() == expected_shape);
    REQUIRE(out.is_contiguous());
    REQUIRE(out.dtype() == a.dtype());
    CHECK(max_error(out, reference_binary(op, a, b, expected_shape)) <= tolerance(a.dtype()));
  }
}

}  // namespace

TEST_CASE("binary ops match a direct loop on same-shape contiguous inputs", "[elementwise]") {
  hs::Generator gen(1);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor a = hs::randn({3, 4, 5}, gen, t);
    const Tensor b = hs::rand({3, 4, 5}, gen, t, 0.5, 2.0);
    check_binary(a, b, {3, 4, 5});
  }
}

TEST_CASE("binary ops broadcast like NumPy", "[elementwise]") {
  hs::Generator gen(2);
  for (DType t : {DType::f32, DType::f64}) {
    check_binary(hs::randn({3, 1}, gen, t), hs::rand({1, 4}, gen, t, 0.5, 2.0), {3, 4});
    check_binary(hs::randn({2, 3, 4}, gen, t), hs::rand({4}, gen, t, 0.5, 2.0), {2, 3, 4});
    check_binary(hs::randn({4}, gen, t), hs::rand({2, 3, 4}, gen, t, 0.5, 2.0), {2, 3, 4});
    check_binary(hs::randn({2, 3}, gen, t), hs::rand({1}, gen, t, 0.5, 2.0), {2, 3});
    check_binary(hs::randn({1}, gen, t), hs::rand({2, 3}, gen, t, 0.5, 2.0), {2, 3});
    check_binary(hs::randn({2, 1, 4}, gen, t), hs::rand({3, 1}, gen, t, 0.5, 2.0), {2, 3, 4});
    check_binary(hs::randn({2, 3, 4, 5}, gen, t), hs::rand({1, 3, 1, 1}, gen, t, 0.5, 2.0),
                 {2, 3, 4, 5});
  }
}

TEST_CASE("binary ops read transposed, narrowed and expanded views", "[elementwise]") {
  hs::Generator gen(3);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor base_a = hs::randn({4, 5}, gen, t);
    const Tensor base_b = hs::rand({5, 7}, gen, t, 0.5, 2.0);
    const Tensor transposed = base_a.transpose(0, 1);  // [5,4], strides [1,5]
    const Tensor narrowed = base_b.narrow(1, 2, 4);    // [5,4], strides [7,1]
    check_binary(transposed, narrowed, {5, 4});
    check_binary(narrowed, transposed, {5, 4});
    const Tensor column = hs::rand({5, 1}, gen, t, 0.5, 2.0).expand({5, 4});  // stride 0
    check_binary(transposed, column, {5, 4});
    check_binary(column, transposed, {5, 4});
    const Tensor permuted = hs::randn({2, 3, 4}, gen, t).permute({2, 0, 1});  // [4,2,3]
    check_binary(permuted, hs::rand({3}, gen, t, 0.5, 2.0), {4, 2, 3});
  }
}

TEST_CASE("binary ops stay correct on the multithreaded path", "[elementwise]") {
  hs::Generator gen(4);
  const Tensor a = hs::randn({300, 257}, gen);
  const Tensor b = hs::rand({257}, gen, DType::f32, 0.5, 2.0);
  check_binary(a, b, {300, 257});
  const Tensor at = hs::randn({257, 300}, gen).transpose(0, 1);
  check_binary(at, a, {300, 257});
}

TEST_CASE("add, sub and mul on i64 are exact, with broadcasting", "[elementwise]") {
  const Tensor a = hs::from_vector<std::int64_t>({1, -2, 3, 4000000000LL, 5, 6}, {2, 3});
  const Tensor b = hs::from_vector<std::int64_t>({10, 20, -30}, {3});
  const std::vector<std::int64_t> av = a.to_vector<std::int64_t>();
  const std::vector<std::int64_t> bv = b.to_vector<std::int64_t>();
  for (BinaryOp op : {BinaryOp::add, BinaryOp::sub, BinaryOp::mul}) {
    const Tensor out = hs::ops::binary(op, a, b);
    REQUIRE(out.dtype() == DType::i64);
    const std::vector<std::int64_t> got = out.to_vector<std::int64_t>();
    for (int i = 0; i < 6; ++i) {
      const std::int64_t x = av[i], y = bv[i % 3];
      const std::int64_t want = op == BinaryOp::add ? x + y : op == BinaryOp::sub ? x - y : x * y;
      CHECK(got[i] == want);
    }
  }
  CHECK(hs::ops::add(a, 7.0).to_vector<std::int64_t>()[3] == 4000000007LL);
}

TEST_CASE("scalar variants match a direct loop", "[elementwise]") {
  hs::Generator gen(5);
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor a = hs::randn({6, 5}, gen, t).transpose(0, 1);
    const std::vector<double> av = a.to_vector<double>();
    for (BinaryOp op : kBinaryOps) {
      const Tensor out = hs::ops::binary(op, a, -2.5);
      REQUIRE(out.shape() == Shape{5, 6});
      std::vector<double> want(av.size());
      for (std::size_t i = 0; i < av.size(); ++i) want[i] = reference_binary(op, av[i], -2.5);
      CHECK(max_error(out, want) <= tolerance(t));
    }
  }
}

TEST_CASE("unary ops match the std:: functions", "[elementwise]") {
  hs::Generator gen(6);
  const std::vector<std::pair<UnaryOp, std::function<double(double)>>> cases = {
      {UnaryOp::neg, [](double x) { return -x; }},
      {UnaryOp::relu, [](double x) { return x > 0 ? x : 0.0; }},
      {UnaryOp::exp, [](double x) { return std::exp(x); }},
      {UnaryOp::log, [](double x) { return std::log(x); }},
      {UnaryOp::sigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }},
      {UnaryOp::tanh, [](double x) { return std::tanh(x); }},
  };
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor signed_input = hs::randn({7, 3}, gen, t).transpose(0, 1);
    const Tensor positive_input = hs::rand({3, 9}, gen, t, 0.1, 3.0).narrow(1, 1, 7);
    for (const auto& [op, f] : cases) {
      INFO("unary op " << static_cast<int>(op) << " dtype " << t);
      const Tensor x = op == UnaryOp::log ? positive_input : signed_input;
      const Tensor out = hs::ops::unary(op, x);
      REQUIRE(out.shape() == Shape{3, 7});
      const std::vector<double> xv = x.to_vector<double>();
      std::vector<double> want(xv.size());
      for (std::size_t i = 0; i < xv.size(); ++i) want[i] = f(xv[i]);
      CHECK(max_error(out, want) <= tolerance(t));
    }
  }
}

TEST_CASE("unary_backward matches the analytic derivatives", "[elementwise]") {
  hs::Generator gen(7);
  const std::vector<std::pair<UnaryOp, std::function<double(double)>>> derivatives = {
      {UnaryOp::neg, [](double) { return -1.0; }},
      {UnaryOp::relu, [](double x) { return x > 0 ? 1.0 : 0.0; }},
      {UnaryOp::exp, [](double x) { return std::exp(x); }},
      {UnaryOp::log, [](double x) { return 1 / x; }},
      {UnaryOp::sigmoid,
       [](double x) {
         const double s = 1 / (1 + std::exp(-x));
         return s * (1 - s);
       }},
      {UnaryOp::tanh, [](double x) { return 1 - std::tanh(x) * std::tanh(x); }},
  };
  for (DType t : {DType::f32, DType::f64}) {
    const Tensor grad = hs::randn({4, 6}, gen, t).transpose(0, 1);
    for (const auto& [op, derivative] : derivatives) {
      INFO("unary op " << static_cast<int>(op) << " dtype " << t);
      const Tensor x =
          op == UnaryOp::log ? hs::rand({6, 4}, gen, t, 0.2, 3.0) : hs::randn({6, 4}, gen, t);
      const Tensor y = hs::ops::unary(op, x);
      const Tensor out = hs::ops::unary_backward(op, grad, x, y);
      REQUIRE(out.shape() == Shape{6, 4});
      const std::vector<double> xv = x.to_vector<double>();
      const std::vector<double> gv = grad.to_vector<double>();
      std::vector<double> want(xv.size());
      for (std::size_t i = 0; i < xv.size(); ++i) want[i] = gv[i] * derivative(xv[i]);
      CHECK(max_error(out, want) <= (t == DType::f32 ? 1e-5 : 1e-12));
    }
  }
}

TEST_CASE("unary_backward needs the forward tensor its op uses", "[elementwise][errors]") {
  hs::Generator gen(8);
  const Tensor g = hs::randn({3}, gen);
  const Tensor x = hs::rand({3}, gen, DType::f32, 0.5, 1.0);
  REQUIRE_THROWS_WITH(hs::ops::unary_backward(UnaryOp::relu, g, x, Tensor()),
                      Catch::Contains("relu_backward"));
  REQUIRE_THROWS_WITH(hs::ops::unary_backward(UnaryOp::log, g, Tensor(), x),
                      Catch::Contains("log_backward"));
  CHECK(hs::ops::unary_backward(UnaryOp::neg, g, Tensor(), Tensor()).to_vector<double>() ==
        hs::ops::neg(g).to_vector<double>());
  REQUIRE_THROWS_WITH(hs::ops::unary_backward(UnaryOp::exp, g, Tensor(), hs::randn({4}, gen)),
                      Catch::Contains("exp_backward") && Catch::Contains("[4]"));
}

TEST_CASE("add_ accumulates a broadcast source into contiguous and strided destinations",
          "[elementwise]") {
  hs::Generator gen(9);
  for (DType t : {DType::f32, DType::f64}) {
    Tensor dst = hs::randn({3, 4}, gen, t);
    const Tensor src = hs::randn({4}, gen, t);
    const std::vector<double> before = dst.to_vector<double>();
    const std::vector<double> sv = src.to_vector<double>();
    hs::ops::add_(dst, src, 0.5);
    std::vector<double> want(12);
    for (int i = 0; i < 12; ++i) want[i] = before[i] + 0.5 * sv[i % 4];
    CHECK(max_error(dst, want) <= tolerance(t));

    // A transposed view into a larger buffer: only the viewed elements change.
    Tensor base = hs::randn({5, 3}, gen, t);
    const std::vector<double> base_before = base.to_vector<double>();
    Tensor view = base.narrow(0, 1, 4).transpose(0, 1);  // [3,4], strides [1,3]
    const Tensor src_t = hs::randn({4, 3}, gen, t).transpose(0, 1);
    const std::vector<double> st = src_t.to_vector<double>();
    const Tensor src_c = hs::randn({3, 4}, gen, t);  // layout differs from the view's
    const std::vector<double> sc = src_c.to_vector<double>();
    hs::ops::add_(view, src_t, -2.0);
    hs::ops::add_(view, src_c, 3.0);
    std::vector<double> base_want = base_before;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j)
        base_want[(1 + j) * 3 + i] += -2.0 * st[i * 4 + j] + 3.0 * sc[i * 4 + j];
    CHECK(max_error(base, base_want) <= tolerance(t));
  }
}

TEST_CASE("add_ on a large tensor and on i64", "[elementwise]") {
  hs::Generator gen(10);
  Tensor dst = hs::randn({200, 300}, gen);
  const Tensor src = hs::randn({200, 1}, gen);
  const std::vector<double> before = dst.to_vector<double>();
  const std::vector<double> sv = src.to_vector<double>();
  hs::ops::add_(dst, src);
  std::vector<double> want(before.size());
  for (std::size_t i = 0; i < want.size(); ++i) want[i] = before[i] + sv[i / 300];
  CHECK(max_error(dst, want) <= tolerance(DType::f32));

  Tensor counts = hs::from_vector<std::int64_t>({1, 2, 3});
  hs::ops::add_(counts, hs::from_vector<std::int64_t>({10}), 3.0);
  CHECK(counts.to_vector<std::int64_t>() == std::vector<std::int64_t>{31, 32, 33});
}

TEST_CASE("binary ops reject mismatched dtypes and shapes", "[elementwise][errors]") {
  const Tensor f = hs::zeros({2, 3});
  const Tensor d = hs::zeros({2, 3}, DType::f64);
  REQUIRE_THROWS_AS(hs::ops::add(f, d), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::add(f, d),
                      Catch::Contains("add") && Catch::Contains("f32") && Catch::Contains("f64"));
  REQUIRE_THROWS_AS(hs::ops::mul(f, hs::zeros({4})), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::sub(f, hs::zeros({4})),
                      Catch::Contains("sub") && Catch::Contains("[2,3]") && Catch::Contains("[4]"));
  const Tensor i = hs::zeros({2, 3}, DType::i64);
  REQUIRE_THROWS_WITH(hs::ops::div(i, i), Catch::Contains("div") && Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(hs::ops::binary(BinaryOp::div, i, 2.0), Catch::Contains("div"));
  REQUIRE_THROWS_WITH(hs::ops::add(i, 0.5), Catch::Contains("add") && Catch::Contains("0.5"));
  REQUIRE_THROWS_WITH(hs::ops::add(Tensor(), f), Catch::Contains("add"));
}

TEST_CASE("unary ops reject integer tensors", "[elementwise][errors]") {
  const Tensor i = hs::zeros({2}, DType::i64);
  REQUIRE_THROWS_AS(hs::ops::exp(i), hs::Error);
  REQUIRE_THROWS_WITH(hs::ops::exp(i), Catch::Contains("exp") && Catch::Contains("i64"));
  REQUIRE_THROWS_WITH(hs::ops::relu(i), Catch::Contains("relu"));
}

TEST_CASE("add_ rejects sources that do not broadcast and overlapping destinations",
          "[elementwise][errors]") {
  Tensor dst = hs::zeros({2, 3});
  REQUIRE_THROWS_WITH(hs::ops::add_(dst, hs::zeros({2, 1, 3})),
                      Catch::Contains("add_") && Catch::Contains("[2,3]"));
  REQUIRE_THROWS_WITH(hs::ops::add_(dst, hs::zeros({2})),
                      Catch::Contains("add_") && Catch::Contains("[2]"));
  REQUIRE_THROWS_WITH(hs::ops::add_(dst, hs::zeros({2, 3}, DType::f64)),
                      Catch::Contains("add_") && Catch::Contains("f64"));
  Tensor expanded = hs::zeros({1, 3}).expand({4, 3});
  REQUIRE_THROWS_WITH(hs::ops::add_(expanded, hs::ones({4, 3})), Catch::Contains("add_"));
  Tensor counts = hs::zeros({3}, DType::i64);
  REQUIRE_THROWS_WITH(hs::ops::add_(counts, counts, 0.5), Catch::Contains("add_"));
}
