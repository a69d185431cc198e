// linear: forward and backward against naive f64 loops, with and without bias, batch 1,
// transposed and sliced operands (BLAS transpose flags and leading dimensions), zero input
// features, f32 against f64, and every argument error.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/linear.h"
#include "ops/op_test_util.h"

using namespace hs;
using hs::test::require_values;

namespace {

Tensor randn64(const Shape& shape, Generator& gen) { return randn(shape, gen, DType::f64); }

// Naive y[n][o] = Σ_i x[n][i]·w[o][i] + b[o].
std::vector<double> reference_linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  const std::vector<double> bv = b.defined() ? b.to_vector<double>() : std::vector<double>{};
  const std::int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  std::vector<double> y;
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t o = 0; o < out; ++o) {
      double sum = bv.empty() ? 0.0 : bv[o];
      for (std::int64_t i = 0; i < in; ++i) sum += xv[n * in + i] * wv[o * in + i];
      y.push_back(sum);
    }
  return y;
}

// The values of t stored transposed in memory (a transposed view of a contiguous copy).
Tensor transposed_layout(const Tensor& t) {
  Tensor base = empty({t.size(1), t.size(0)}, {t.dtype()});
  Tensor out = base.transpose(0, 1);
  out.copy_(t);
  return out;
}

// The values of t as a column slice of a wider matrix (row stride larger than the width).
Tensor sliced_layout(const Tensor& t) {
  Tensor base = zeros({t.size(0), t.size(1) + 3}, {t.dtype()});
  Tensor out = base.narrow(1, 2, t.size(1));
  out.copy_(t);
  return out;
}

// Elements two apart in both dims: no unit stride, so the operator must copy.
Tensor spread_layout(const Tensor& t) {
  Tensor base = zeros({t.size(0) * 2, t.size(1) * 2}, {t.dtype()});
  Tensor out = base.as_strided(t.shape(), {4 * t.size(1), 2}, 0);
  out.copy_(t);
  return out;
}

}  // namespace

TEST_CASE("linear: forward and backward match naive loops over shapes and layouts") {
  Generator gen(301);
  struct Case {
    std::int64_t batch, in, out;
    bool bias;
  };
  for (const Case& c :
       {Case{4, 3, 5, true}, Case{1, 7, 2, true}, Case{6, 4, 3, false}, Case{3, 1, 1, true}}) {
    const Tensor x = randn64({c.batch, c.in}, gen), w = randn64({c.out, c.in}, gen);
    const Tensor b = c.bias ? randn64({c.out}, gen) : Tensor();
    const Tensor dy = randn64({c.batch, c.out}, gen);
    const std::vector<double> y_ref = reference_linear(x, w, b);
    const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
    const std::vector<double> dyv = dy.to_vector<double>();
    std::vector<double> dx_ref(x.numel(), 0.0), dw_ref(w.numel(), 0.0), db_ref(c.out, 0.0);
    for (std::int64_t n = 0; n < c.batch; ++n)
      for (std::int64_t o = 0; o < c.out; ++o) {
        db_ref[o] += dyv[n * c.out + o];
        for (std::int64_t i = 0; i < c.in; ++i) {
          dx_ref[n * c.in + i] += dyv[n * c.out + o] * wv[o * c.in + i];
          dw_ref[o * c.in + i] += dyv[n * c.out + o] * xv[n * c.in + i];
        }
      }

    const std::vector<Tensor> xs = {x, transposed_layout(x), sliced_layout(x), spread_layout(x)};
    const std::vector<Tensor> ws = {w, transposed_layout(w), sliced_layout(w), spread_layout(w)};
    const std::vector<Tensor> dys = {dy, transposed_layout(dy), sliced_layout(dy),
                                     spread_layout(dy)};
    for (std::size_t layout = 0; layout < xs.size(); ++layout) {
      INFO("batch " << c.batch << ", in " << c.in << ", out " << c.out << ", layout " << layout);
      const Tensor y = ops::linear_forward(xs[layout], ws[layout], b);
      REQUIRE(y.shape() == Shape{c.batch, c.out});
      require_values(y, y_ref, 1e-13);
      const ops::LinearGrads g =
          ops::linear_backward(dys[layout], xs[layout], ws[layout], true, true, true);
      require_values(g.dx, dx_ref, 1e-13);
      require_values(g.dw, dw_ref, 1e-13);
      require_values(g.db, db_ref, 1e-13);
    }
  }
}

TEST_CASE("linear_backward computes only the gradients asked for") {
  Generator gen(302);
  const Tensor x = randn64({3, 4}, gen), w = randn64({2, 4}, gen), dy = randn64({3, 2}, gen);
  const ops::LinearGrads only_dx = ops::linear_backward(dy, x, w, true, false, false);
  REQUIRE(only_dx.dx.defined());
  REQUIRE_FALSE(only_dx.dw.defined());
  REQUIRE_FALSE(only_dx.db.defined());
  const ops::LinearGrads only_dw_db = ops::linear_backward(dy, x, w, false, true, true);
  REQUIRE_FALSE(only_dw_db.dx.defined());
  REQUIRE(only_dw_db.dw.shape() == Shape{2, 4});
  REQUIRE(only_dw_db.db.shape() == Shape{2});
}

TEST_CASE("linear with zero input features gives the bias; dw is empty and dx zero-width") {
  const Tensor x = zeros({2, 0}, DType::f64), w = zeros({3, 0}, DType::f64);
  const Tensor b = from_vector<double>({1, -2, 3});
  require_values(ops::linear_forward(x, w, b), {1, -2, 3, 1, -2, 3}, 0);
  require_values(ops::linear_forward(x, w), {0, 0, 0, 0, 0, 0}, 0);
  const Tensor dy = from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  const ops::LinearGrads g = ops::linear_backward(dy, x, w, true, true, true);
  REQUIRE(g.dx.shape() == Shape{2, 0});
  REQUIRE(g.dw.shape() == Shape{3, 0});
  require_values(g.db, {5, 7, 9}, 0);
}

TEST_CASE("linear: f32 agrees with f64") {
  Generator gen(303);
  const Tensor x = randn64({8, 33}, gen), w = randn64({10, 33}, gen), b = randn64({10}, gen);
  const Tensor dy = randn64({8, 10}, gen);
  const Tensor y32 = ops::linear_forward(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32));
  REQUIRE(y32.dtype() == DType::f32);
  require_values(y32, ops::linear_forward(x, w, b).to_vector<double>(), 1e-5);
  const ops::LinearGrads g64 = ops::linear_backward(dy, x, w, true, true, true);
  const ops::LinearGrads g32 =
      ops::linear_backward(dy.to(DType::f32), x.to(DType::f32), w.to(DType::f32), true, true, true);
  require_values(g32.dx, g64.dx.to_vector<double>(), 1e-5);
  require_values(g32.dw, g64.dw.to_vector<double>(), 1e-5);
  require_values(g32.db, g64.db.to_vector<double>(), 1e-5);
}

TEST_CASE("linear: argument errors name the operation and both shapes") {
  Generator gen(304);
  const Tensor x = randn64({4, 3}, gen), w = randn64({5, 3}, gen);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(ops::linear_forward(x, randn64({5, 2}, gen)),
                      Contains("linear") && Contains("[4,3]") && Contains("[5,2]"));
  REQUIRE_THROWS_WITH(ops::linear_forward(randn64({3}, gen), w),
                      Contains("linear") && Contains("2-D") && Contains("[3]"));
  REQUIRE_THROWS_WITH(ops::linear_forward(x, randn64({5, 3, 1}, gen)),
                      Contains("linear") && Contains("[5,3,1]"));
  REQUIRE_THROWS_WITH(ops::linear_forward(x, w, randn64({4}, gen)),
                      Contains("linear") && Contains("bias [4]") && Contains("[5,3]"));
  REQUIRE_THROWS_WITH(ops::linear_forward(x, w.to(DType::f32)),
                      Contains("linear") && Contains("f32") && Contains("f64"));
  REQUIRE_THROWS_WITH(ops::linear_forward(x, w, ones({5})), Contains("linear") && Contains("f32"));
  REQUIRE_THROWS_WITH(ops::linear_forward(zeros({4, 3}, DType::i64), zeros({5, 3}, DType::i64)),
                      Contains("linear") && Contains("i64"));
  REQUIRE_THROWS_WITH(ops::linear_backward(randn64({4, 4}, gen), x, w, true, true, true),
                      Contains("linear_backward") && Contains("[4,4]") && Contains("[4,5]"));
}
