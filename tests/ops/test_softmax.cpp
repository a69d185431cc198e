// ops::softmax_forward / softmax_backward against naive f64 loops written from the
// definitions, over every dimension of several shapes (negative dims too), non-contiguous
// inputs, f32 and f64, large logits, NaN rows and every argument error.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "op_test_util.h"
#include "ops/softmax.h"

using namespace hs;
using hs::test::require_values;

namespace {

// Index arithmetic of a contiguous shape: the flat offset of (outer o, position k, inner i).
struct View {
  std::int64_t outer = 1, n = 1, inner = 1;
  View(const Shape& shape, std::int64_t dim) {
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
      if (d < dim)
        outer *= shape[d];
      else if (d > dim)
        inner *= shape[d];
    }
    n = shape[dim];
  }
  std::int64_t at(std::int64_t o, std::int64_t k, std::int64_t i) const {
    return (o * n + k) * inner + i;
  }
};

std::vector<double> naive_softmax(const std::vector<double>& x, const Shape& shape,
                                  std::int64_t dim) {
  const View v(shape, dim);
  std::vector<double> y(x.size());
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i) {
      double sum = 0;
      for (std::int64_t k = 0; k < v.n; ++k) sum += std::exp(x[v.at(o, k, i)]);
      for (std::int64_t k = 0; k < v.n; ++k) y[v.at(o, k, i)] = std::exp(x[v.at(o, k, i)]) / sum;
    }
  return y;
}

// dx_j = Σ_k dy_k ∂y_k/∂x_j with ∂y_k/∂x_j = y_k (δ_kj − y_j): the Jacobian written out.
std::vector<double> naive_backward(const std::vector<double>& y, const std::vector<double>& dy,
                                   const Shape& shape, std::int64_t dim) {
  const View v(shape, dim);
  std::vector<double> dx(y.size());
  for (std::int64_t o = 0; o < v.outer; ++o)
    for (std::int64_t i = 0; i < v.inner; ++i)
      for (std::int64_t j = 0; j < v.n; ++j) {
        double g = 0;
        for (std::int64_t k = 0; k < v.n; ++k)
          g += dy[v.at(o, k, i)] * y[v.at(o, k, i)] * ((k == j) - y[v.at(o, j, i)]);
        dx[v.at(o, j, i)] = g;
      }
  return dx;
}

}  // namespace

TEST_CASE("softmax: forward and backward against the definitions over every dimension") {
  Generator gen(11);
  for (const Shape& shape : {Shape{7}, Shape{3, 4}, Shape{2, 3, 4, 5}, Shape{1, 1, 3}}) {
    for (DType dtype : {DType::f64, DType::f32}) {
      const double tol = dtype == DType::f64 ? 1e-14 : 2e-6;
      const Tensor x = rand(shape, gen, dtype, -6.0, 6.0);
      const Tensor dy = randn(shape, gen, dtype);
      const std::vector<double> xv = x.to_vector<double>(), dyv = dy.to_vector<double>();
      const std::int64_t ndim = static_cast<std::int64_t>(shape.size());
      for (std::int64_t dim = -ndim; dim < ndim; ++dim) {
        const std::int64_t d = dim < 0 ? dim + ndim : dim;
        INFO("shape " << shape << " dim " << dim << " " << dtype);
        const Tensor y = ops::softmax_forward(x, dim);
        const std::vector<double> want = naive_softmax(xv, shape, d);
        require_values(y, want, tol);
        require_values(ops::softmax_backward(y, dy, dim), naive_backward(want, dyv, shape, d), tol);
      }
    }
  }
}

TEST_CASE("softmax: non-contiguous inputs are read through their strides") {
  Generator gen(12);
  const Tensor base = randn({4, 6}, gen, DType::f64);
  const Tensor xt = base.transpose(0, 1);  // [6, 4], strides (1, 6)
  const Tensor contiguous = xt.contiguous();
  for (std::int64_t dim : {0, 1}) {
    INFO("dim " << dim);
    require_values(ops::softmax_forward(xt, dim),
                   ops::softmax_forward(contiguous, dim).to_vector<double>(), 0);
  }
  const Tensor slice = base.narrow(1, 1, 3);  // a column slice of a wider tensor
  require_values(ops::softmax_forward(slice, 1),
                 naive_softmax(slice.contiguous().to_vector<double>(), {4, 3}, 1), 1e-14);
}

TEST_CASE("softmax: large logits do not overflow; a NaN spoils its row only") {
  const Tensor big = from_vector(std::vector<float>{1000, 1001, 999, -1000, 0, 1000}, {2, 3});
  const std::vector<double> y = ops::softmax_forward(big, 1).to_vector<double>();
  const double e1 = std::exp(-1.0), e2 = std::exp(-2.0);
  CHECK(y[0] == Approx(e1 / (1 + e1 + e2)).epsilon(1e-6));
  CHECK(y[1] == Approx(1 / (1 + e1 + e2)).epsilon(1e-6));
  CHECK(y[5] == Approx(1.0).epsilon(1e-6));
  CHECK(y[3] == 0.0f);

  const Tensor with_nan = from_vector(std::vector<double>{1, NAN, 2, 3, 4, 5}, {2, 3});
  const std::vector<double> z = ops::softmax_forward(with_nan, 1).to_vector<double>();
  for (int k = 0; k < 3; ++k) CHECK(std::isnan(z[k]));
  double sum = 0;
  for (int k = 3; k < 6; ++k) sum += z[k];
  CHECK(sum == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("softmax: argument errors name the operator and the offending value") {
  const Tensor x = zeros({2, 3});
  CHECK_THROWS_WITH(ops::softmax_forward(x, 2), Catch::Contains("softmax: dim 2 is out of range"));
  CHECK_THROWS_WITH(ops::softmax_forward(x, -3), Catch::Contains("dim -3 is out of range"));
  CHECK_THROWS_WITH(ops::softmax_forward(zeros({2}, DType::i64), 0),
                    Catch::Contains("softmax: needs f32 or f64"));
  CHECK_THROWS_WITH(ops::softmax_forward(Tensor(), 0), Catch::Contains("input is an undefined"));
  CHECK_THROWS_WITH(
      ops::softmax_backward(x, zeros({3, 2}), 1),
      Catch::Contains("softmax_backward: grad [3,2] does not match the output [2,3]"));
  CHECK_THROWS_WITH(ops::softmax_backward(x, zeros({2, 3}, DType::f64), 1),
                    Catch::Contains("dtypes differ"));
}
