// Batch norm and fused BN + ReLU: hand-computed values on a tiny tensor (train, eval,
// running statistics), forward and backward against naive f64 loops on odd shapes, batch 1,
// 2-D inputs and non-contiguous views, the fused residual add + ReLU, f32 against f64 (also with a
// large mean and rows longer than a summation block), independence of the thread count, and every
// argument error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "core/threads.h"
#include "ops/batch_norm.h"
#include "ops/op_test_util.h"

using namespace hs;
using hs::test::require_values;

namespace {

// Statistics and output of batch norm computed by direct loops over x's logical values,
// viewed as [N, C, inner].
struct ReferenceBn {
  std::vector<double> y, mean, var;  // var: biased, as used to normalise
};

ReferenceBn reference_bn(const Tensor& x, const std::vector<double>& gamma,
                         const std::vector<double>& beta, bool training,
                         const std::vector<double>& running_mean,
                         const std::vector<double>& running_var, double eps, bool relu) {
  const std::vector<double> v = x.to_vector<double>();
  const std::int64_t n_batch = x.size(0), channels = x.size(1);
  const std::int64_t inner = x.numel() / (n_batch * channels);
  ReferenceBn r{std::vector<double>(v.size()), std::vector<double>(channels),
                std::vector<double>(channels)};
  for (std::int64_t c = 0; c < channels; ++c) {
    if (training) {
      double sum = 0;
      for (std::int64_t n = 0; n < n_batch; ++n)
        for (std::int64_t i = 0; i < inner; ++i) sum += v[(n * channels + c) * inner + i];
      r.mean[c] = sum / (n_batch * inner);
      double sq = 0;
      for (std::int64_t n = 0; n < n_batch; ++n)
        for (std::int64_t i = 0; i < inner; ++i) {
          const double d = v[(n * channels + c) * inner + i] - r.mean[c];
          sq += d * d;
        }
      r.var[c] = sq / (n_batch * inner);
    } else {
      r.mean[c] = running_mean[c];
      r.var[c] = running_var[c];
    }
    const double g = gamma.empty() ? 1.0 : gamma[c], b = beta.empty() ? 0.0 : beta[c];
    for (std::int64_t n = 0; n < n_batch; ++n)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t k = (n * channels + c) * inner + i;
        const double out = (v[k] - r.mean[c]) / std::sqrt(r.var[c] + eps) * g + b;
        r.y[k] = relu && out < 0 ? 0.0 : out;
      }
  }
  return r;
}

// dx, dgamma, dbeta by the textbook formulas, element by element.
struct ReferenceGrads {
  std::vector<double> dx, dgamma, dbeta;
};

ReferenceGrads reference_bn_backward(const Tensor& dy_t, const Tensor& x,
                                     const std::vector<double>& gamma,
                                     const std::vector<double>& mean,
                                     const std::vector<double>& var, double eps, bool training) {
  const std::vector<double> v = x.to_vector<double>(), dy = dy_t.to_vector<double>();
  const std::int64_t n_batch = x.size(0), channels = x.size(1);
  const std::int64_t inner = x.numel() / (n_batch * channels);
  const double count = static_cast<double>(n_batch * inner);
  ReferenceGrads r{std::vector<double>(v.size()), std::vector<double>(channels),
                   std::vector<double>(channels)};
  for (std::int64_t c = 0; c < channels; ++c) {
    const double invstd = 1.0 / std::sqrt(var[c] + eps);
    const double g = gamma.empty() ? 1.0 : gamma[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (std::int64_t n = 0; n < n_batch; ++n)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t k = (n * channels + c) * inner + i;
        sum_dy += dy[k];
        sum_dy_xhat += dy[k] * (v[k] - mean[c]) * invstd;
      }
    r.dgamma[c] = sum_dy_xhat;
    r.dbeta[c] = sum_dy;
    for (std::int64_t n = 0; n < n_batch; ++n)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t k = (n * channels + c) * inner + i;
        const double xhat = (v[k] - mean[c]) * invstd;
        r.dx[k] = training ? g * invstd / count * (count * dy[k] - sum_dy - xhat * sum_dy_xhat)
                           : dy[k] * g * invstd;
      }
  }
  return r;
}

Tensor randn64(const Shape& shape, Generator& gen, double mean = 0.0, double std = 1.0) {
  return randn(shape, gen, DType::f64, mean, std);
}

// A copy of the 4-D tensor t whose H·W planes are not dense (H and W swapped in memory).
Tensor plane_transposed_copy(const Tensor& t) {
  Tensor base = empty({t.size(0), t.size(1), t.size(3), t.size(2)}, {t.dtype()});
  Tensor out = base.transpose(2, 3);
  out.copy_(t);
  return out;
}

}  // namespace

TEST_CASE("batch_norm: training on a tiny tensor matches hand-computed values") {
  // x [2,2,1,2]: channel 0 holds {1,2,3,6} (mean 3, biased var 14/4, unbiased 14/3),
  // channel 1 holds {0.5,0.5,0.5,2.5} (mean 1, biased var 3/4, unbiased 1).
  const Tensor x = from_vector<double>({1, 2, 0.5, 0.5, 3, 6, 0.5, 2.5}, {2, 2, 1, 2});
  const Tensor gamma = from_vector<double>({2, -1});
  const Tensor beta = from_vector<double>({0.5, 1});
  Tensor running_mean = from_vector<double>({0.1, 0.2});
  Tensor running_var = from_vector<double>({1, 2});
  const double eps = 1e-5;
  const ops::BatchNormForward f =
      ops::batch_norm_forward(x, gamma, beta, running_mean, running_var, true, 0.1, eps);

  const double s0 = 2 / std::sqrt(3.5 + eps), s1 = -1 / std::sqrt(0.75 + eps);
  require_values(f.y,
                 {(1 - 3) * s0 + 0.5, (2 - 3) * s0 + 0.5, (0.5 - 1) * s1 + 1, (0.5 - 1) * s1 + 1,
                  (3 - 3) * s0 + 0.5, (6 - 3) * s0 + 0.5, (0.5 - 1) * s1 + 1, (2.5 - 1) * s1 + 1},
                 1e-14);
  REQUIRE(f.y.shape() == x.shape());
  require_values(f.save_mean, {3, 1}, 1e-15);
  require_values(f.save_invstd, {1 / std::sqrt(3.5 + eps), 1 / std::sqrt(0.75 + eps)}, 1e-14);
  require_values(running_mean, {0.9 * 0.1 + 0.1 * 3, 0.9 * 0.2 + 0.1 * 1}, 1e-15);
  require_values(running_var, {0.9 * 1 + 0.1 * 14.0 / 3.0, 0.9 * 2 + 0.1 * 1}, 1e-15);
}

TEST_CASE("batch_norm: eval uses the running statistics and leaves them unchanged") {
  const Tensor x = from_vector<double>({1, 2, 0.5, 0.5, 3, 6, 0.5, 2.5}, {2, 2, 1, 2});
  const Tensor gamma = from_vector<double>({2, -1});
  const Tensor beta = from_vector<double>({0.5, 1});
  Tensor running_mean = from_vector<double>({0.39, 0.28});
  Tensor running_var = from_vector<double>({1.3666, 1.9});
  const double eps = 1e-3;
  const ops::BatchNormForward f =
      ops::batch_norm_forward(x, gamma, beta, running_mean, running_var, false, 0.1, eps);
  const double s0 = 2 / std::sqrt(1.3666 + eps), s1 = -1 / std::sqrt(1.9 + eps);
  require_values(
      f.y,
      {(1 - 0.39) * s0 + 0.5, (2 - 0.39) * s0 + 0.5, (0.5 - 0.28) * s1 + 1, (0.5 - 0.28) * s1 + 1,
       (3 - 0.39) * s0 + 0.5, (6 - 0.39) * s0 + 0.5, (0.5 - 0.28) * s1 + 1, (2.5 - 0.28) * s1 + 1},
      1e-14);
  require_values(running_mean, {0.39, 0.28}, 0);
  require_values(running_var, {1.3666, 1.9}, 0);

  // Batch 1 with a single value per channel is fine in eval.
  const Tensor one = from_vector<double>({4, -2}, {1, 2, 1, 1});
  const ops::BatchNormForward g =
      ops::batch_norm_forward(one, gamma, beta, running_mean, running_var, false, 0.1, eps);
  require_values(g.y, {(4 - 0.39) * s0 + 0.5, (-2 - 0.28) * s1 + 1}, 1e-14);
}

TEST_CASE("batch_norm: forward and backward match naive loops over shapes and layouts") {
  Generator gen(101);
  struct Case {
    const char* name;
    Tensor x;
    bool affine;
  };
  const Tensor wide = randn64({2, 7, 5, 3}, gen, 0.5, 2.0);
  const std::vector<Case> cases = {
      {"odd spatial", randn64({3, 4, 5, 7}, gen, 1.0, 3.0), true},
      {"batch 1", randn64({1, 3, 3, 3}, gen), true},
      {"2-D", randn64({6, 5}, gen, -2.0, 0.5), true},
      {"2-D transposed", randn64({5, 6}, gen).transpose(0, 1), true},
      {"no affine", randn64({2, 3, 4, 4}, gen), false},
      {"channel slice", wide.narrow(1, 2, 4), true},
      {"planes not dense", plane_transposed_copy(randn64({2, 3, 4, 5}, gen)), true},
      {"large enough for the OpenMP path", randn64({4, 8, 33, 33}, gen), true},
  };
  for (const Case& c : cases) {
    for (bool training : {true, false}) {
      INFO(c.name << (training ? ", training" : ", eval"));
      const std::int64_t channels = c.x.size(1);
      const Tensor gamma = c.affine ? randn64({channels}, gen) : Tensor();
      const Tensor beta = c.affine ? randn64({channels}, gen) : Tensor();
      const std::vector<double> g = c.affine ? gamma.to_vector<double>() : std::vector<double>{};
      const std::vector<double> b = c.affine ? beta.to_vector<double>() : std::vector<double>{};
      Tensor running_mean = randn64({channels}, gen);
      Tensor running_var = rand({channels}, gen, DType::f64, 0.5, 2.0);
      const std::vector<double> rm = running_mean.to_vector<double>();
      const std::vector<double> rv = running_var.to_vector<double>();
      const double eps = 1e-5, momentum = 0.3;

      const ReferenceBn ref = reference_bn(c.x, g, b, training, rm, rv, eps, false);
      const ops::BatchNormForward f = ops::batch_norm_forward(c.x, gamma, beta, running_mean,
                                                              running_var, training, momentum, eps);
      REQUIRE(f.y.is_contiguous());
      require_values(f.y, ref.y, 1e-12);
      require_values(f.save_mean, ref.mean, 1e-12);
      std::vector<double> invstd;
      for (double v : ref.var) invstd.push_back(1 / std::sqrt(v + eps));
      require_values(f.save_invstd, invstd, 1e-12);
      if (training) {
        const double count = static_cast<double>(c.x.numel() / channels);
        std::vector<double> new_rm, new_rv;
        for (std::int64_t k = 0; k < channels; ++k) {
          new_rm.push_back((1 - momentum) * rm[k] + momentum * ref.mean[k]);
          new_rv.push_back((1 - momentum) * rv[k] + momentum * ref.var[k] * count / (count - 1));
        }
        require_values(running_mean, new_rm, 1e-12);
        require_values(running_var, new_rv, 1e-12);
      }

      // A transposed gradient exercises the strided read of dy as well.
      const Tensor dy = c.x.dim() == 4 ? plane_transposed_copy(randn64(c.x.shape(), gen))
                                       : randn64(c.x.shape(), gen);
      const ReferenceGrads rg = reference_bn_backward(dy, c.x, g, ref.mean, ref.var, eps, training);
      const ops::BatchNormGrads grads =
          ops::batch_norm_backward(dy, c.x, gamma, f.save_mean, f.save_invstd, training);
      REQUIRE(grads.dx.shape() == c.x.shape());
      require_values(grads.dx, rg.dx, 1e-10);
      require_values(grads.dgamma, rg.dgamma, 1e-10);
      require_values(grads.dbeta, rg.dbeta, 1e-10);
    }
  }
}

TEST_CASE("batch_norm without running statistics normalises with batch statistics") {
  Generator gen(102);
  const Tensor x = randn64({4, 3, 2, 3}, gen, 2.0, 1.5);
  const ops::BatchNormForward f =
      ops::batch_norm_forward(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  require_values(f.y, reference_bn(x, {}, {}, true, {}, {}, 1e-5, false).y, 1e-12);
}

TEST_CASE("batch_norm_relu: equals relu(batch_norm) and its gradient masks dy by y > 0") {
  Generator gen(103);
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    const Tensor x = randn64({3, 4, 5, 3}, gen, 0.2, 1.0);
    const Tensor gamma = randn64({4}, gen), beta = randn64({4}, gen, 0.0, 0.5);
    const Tensor rm = randn64({4}, gen), rv = rand({4}, gen, DType::f64, 0.5, 2.0);
    const ops::BatchNormForward plain =
        ops::batch_norm_forward(x, gamma, beta, rm.clone(), rv.clone(), training);
    const ops::BatchNormForward fused =
        ops::batch_norm_relu_forward(x, gamma, beta, rm.clone(), rv.clone(), training);
    std::vector<double> relu_y = plain.y.to_vector<double>();
    std::int64_t zeros_count = 0;
    for (double& v : relu_y)
      if (v <= 0) v = 0, ++zeros_count;
    REQUIRE(zeros_count > 0);
    REQUIRE(zeros_count < x.numel());
    require_values(fused.y, relu_y, 0);
    require_values(fused.save_mean, plain.save_mean.to_vector<double>(), 0);

    const Tensor dy = randn64(x.shape(), gen);
    const std::vector<double> dy_before = dy.to_vector<double>();
    std::vector<double> masked = dy_before;
    for (std::size_t i = 0; i < masked.size(); ++i)
      if (relu_y[i] <= 0) masked[i] = 0;
    const ops::BatchNormGrads expected = ops::batch_norm_backward(
        from_vector(masked, x.shape()), x, gamma, plain.save_mean, plain.save_invstd, training);
    const ops::BatchNormGrads got = ops::batch_norm_relu_backward(
        dy, fused.y, x, gamma, fused.save_mean, fused.save_invstd, training);
    require_values(got.dx, expected.dx.to_vector<double>(), 1e-13);
    require_values(got.dgamma, expected.dgamma.to_vector<double>(), 1e-13);
    require_values(got.dbeta, expected.dbeta.to_vector<double>(), 1e-13);
    require_values(dy, dy_before, 0);  // dy is read, never written
  }
}

TEST_CASE("batch_norm_add_relu: relu(batch_norm(x) + residual) for any residual layout") {
  Generator gen(108);
  const Tensor x = randn64({3, 4, 5, 3}, gen, 0.2, 1.0);
  const Tensor gamma = randn64({4}, gen), beta = randn64({4}, gen, 0.0, 0.5);
  const Tensor dense = randn64(x.shape(), gen, 0.0, 0.7);
  for (bool training : {true, false}) {
    for (const Tensor& residual : {dense, plane_transposed_copy(dense)}) {
      INFO((training ? "training" : "eval")
           << (residual.is_contiguous() ? ", dense" : ", strided"));
      const Tensor rm = randn64({4}, gen), rv = rand({4}, gen, DType::f64, 0.5, 2.0);
      const ops::BatchNormForward plain =
          ops::batch_norm_forward(x, gamma, beta, rm.clone(), rv.clone(), training);
      Tensor fused_rm = rm.clone(), fused_rv = rv.clone();
      const ops::BatchNormForward fused =
          ops::batch_norm_add_relu_forward(x, residual, gamma, beta, fused_rm, fused_rv, training);
      std::vector<double> expected = plain.y.to_vector<double>();
      const std::vector<double> r = residual.to_vector<double>();
      for (std::size_t i = 0; i < expected.size(); ++i)
        expected[i] = std::max(0.0, expected[i] + r[i]);
      require_values(fused.y, expected, 1e-15);
      require_values(fused.save_mean, plain.save_mean.to_vector<double>(), 0);
      require_values(fused.save_invstd, plain.save_invstd.to_vector<double>(), 0);
    }
  }
  using Catch::Contains;
  REQUIRE_THROWS_WITH(
      ops::batch_norm_add_relu_forward(x, randn64({3, 4, 5, 4}, gen), gamma, beta, Tensor(),
                                       Tensor(), true),
      Contains("batch_norm_add_relu") && Contains("residual") && Contains("[3,4,5,4]"));
  REQUIRE_THROWS_WITH(ops::batch_norm_add_relu_forward(x, dense.to(DType::f32), gamma, beta,
                                                       Tensor(), Tensor(), true),
                      Contains("batch_norm_add_relu") && Contains("f32"));
}

TEST_CASE("batch_norm: f32 agrees with f64") {
  Generator gen(104);
  const Tensor x = randn64({4, 6, 7, 5}, gen, 3.0, 2.0);
  const Tensor gamma = randn64({6}, gen), beta = randn64({6}, gen);
  const Tensor dy = randn64(x.shape(), gen);
  Tensor rm64 = zeros({6}, DType::f64), rv64 = ones({6}, DType::f64);
  Tensor rm32 = zeros({6}), rv32 = ones({6});
  const ops::BatchNormForward f64 = ops::batch_norm_relu_forward(x, gamma, beta, rm64, rv64, true);
  const ops::BatchNormForward f32 = ops::batch_norm_relu_forward(
      x.to(DType::f32), gamma.to(DType::f32), beta.to(DType::f32), rm32, rv32, true);
  REQUIRE(f32.y.dtype() == DType::f32);
  REQUIRE(f32.save_mean.dtype() == DType::f32);
  require_values(f32.y, f64.y.to_vector<double>(), 1e-5);
  require_values(rm32, rm64.to_vector<double>(), 1e-6);
  require_values(rv32, rv64.to_vector<double>(), 1e-6);
  const ops::BatchNormGrads g64 =
      ops::batch_norm_relu_backward(dy, f64.y, x, gamma, f64.save_mean, f64.save_invstd, true);
  const ops::BatchNormGrads g32 =
      ops::batch_norm_relu_backward(dy.to(DType::f32), f32.y, x.to(DType::f32),
                                    gamma.to(DType::f32), f32.save_mean, f32.save_invstd, true);
  require_values(g32.dx, g64.dx.to_vector<double>(), 1e-4);
  require_values(g32.dgamma, g64.dgamma.to_vector<double>(), 1e-4);
  require_values(g32.dbeta, g64.dbeta.to_vector<double>(), 1e-4);
}

TEST_CASE("batch_norm: f32 statistics stay accurate with a large mean and long rows") {
  // Mean 1000, std 1: a one-pass Σx² − (Σx)²/n in f32 would lose the variance entirely.
  // 70x70 rows are longer than one summation block, so blocks are merged within a row too.
  // (Without ReLU: the f32 rounding of the mean, 3e-5 here, may flip a ReLU mask.)
  Generator gen(106);
  const Tensor x = randn64({3, 2, 70, 70}, gen, 1000.0, 1.0);
  const Tensor x32 = x.to(DType::f32);
  const Tensor dy = randn64(x.shape(), gen);
  const ops::BatchNormForward f64 =
      ops::batch_norm_forward(x, Tensor(), Tensor(), Tensor(), Tensor(), true);
  const ops::BatchNormForward f32 =
      ops::batch_norm_forward(x32, Tensor(), Tensor(), Tensor(), Tensor(), true);
  require_values(f32.save_mean, f64.save_mean.to_vector<double>(), 1e-6);
  require_values(f32.save_invstd, f64.save_invstd.to_vector<double>(), 1e-5);
  require_values(f32.y, f64.y.to_vector<double>(), 2e-4);
  const ops::BatchNormGrads g64 =
      ops::batch_norm_backward(dy, x, Tensor(), f64.save_mean, f64.save_invstd, true);
  const ops::BatchNormGrads g32 = ops::batch_norm_backward(dy.to(DType::f32), x32, Tensor(),
                                                           f32.save_mean, f32.save_invstd, true);
  require_values(g32.dbeta, g64.dbeta.to_vector<double>(), 1e-5);
  require_values(g32.dgamma, g64.dgamma.to_vector<double>(), 1e-3);
  require_values(g32.dx, g64.dx.to_vector<double>(), 2e-4);
}

TEST_CASE("batch_norm: results do not depend on the thread count") {
  Generator gen(107);
  const Tensor x = randn({16, 24, 12, 12}, gen, DType::f32, 0.3, 2.0);
  const Tensor dy = randn(x.shape(), gen);
  const Tensor gamma = randn({24}, gen), beta = randn({24}, gen);
  auto run = [&](int threads) {
    set_num_threads(threads);
    Tensor rm = zeros({24}), rv = ones({24});
    const ops::BatchNormForward f = ops::batch_norm_relu_forward(x, gamma, beta, rm, rv, true);
    const ops::BatchNormGrads g =
        ops::batch_norm_relu_backward(dy, f.y, x, gamma, f.save_mean, f.save_invstd, true);
    set_num_threads(0);
    return std::vector<std::vector<double>>{f.y.to_vector<double>(), rm.to_vector<double>(),
                                            rv.to_vector<double>(), g.dx.to_vector<double>(),
                                            g.dgamma.to_vector<double>()};
  };
  const auto one = run(1), two = run(2), three = run(3);
  REQUIRE(one == two);
  REQUIRE(one == three);
}

TEST_CASE("batch_norm: argument errors name the operation and the sizes") {
  Generator gen(105);
  const Tensor x = randn64({2, 3, 4, 4}, gen);
  const Tensor c3 = ones({3}, DType::f64), c4 = ones({4}, DType::f64);
  auto bn = [&](const Tensor& input, const Tensor& gamma, const Tensor& beta, const Tensor& rm,
                const Tensor& rv, bool training) {
    return ops::batch_norm_forward(input, gamma, beta, rm, rv, training);
  };
  using Catch::Contains;
  REQUIRE_THROWS_WITH(bn(randn64({2, 3, 4}, gen), c3, c3, c3, c3, true),
                      Contains("batch_norm") && Contains("[2,3,4]"));
  REQUIRE_THROWS_WITH(bn(x, c4, c3, c3, c3, true), Contains("batch_norm") && Contains("gamma") &&
                                                       Contains("[4]") && Contains("3 channels"));
  REQUIRE_THROWS_WITH(bn(x, c3, c4, c3, c3, true), Contains("beta") && Contains("[4]"));
  REQUIRE_THROWS_WITH(bn(x, c3, c3, c4, c3, true), Contains("running_mean") && Contains("[4]"));
  REQUIRE_THROWS_WITH(bn(x, c3, c3, c3, c4, false), Contains("running_var") && Contains("[4]"));
  REQUIRE_THROWS_WITH(bn(randn64({1, 3, 1, 1}, gen), c3, c3, c3, c3, true),
                      Contains("batch_norm") && Contains("more than 1 value per channel"));
  REQUIRE_THROWS_WITH(bn(randn64({1, 3}, gen), c3, c3, c3, c3, true),
                      Contains("more than 1 value per channel"));
  REQUIRE_THROWS_WITH(bn(zeros({0, 3, 4, 4}, DType::f64), c3, c3, c3, c3, true),
                      Contains("batch_norm") && Contains("empty batch"));
  REQUIRE_THROWS_WITH(bn(x, ones({3}), c3, c3, c3, true),
                      Contains("batch_norm") && Contains("f32") && Contains("f64"));
  REQUIRE_THROWS_WITH(bn(x, c3, c3, Tensor(), Tensor(), false),
                      Contains("batch_norm") && Contains("eval mode needs running_mean"));
  REQUIRE_THROWS_WITH(bn(x, c3, c3, c3, Tensor(), true), Contains("both"));
  REQUIRE_THROWS_WITH(bn(zeros({2, 3}, DType::i64), Tensor(), Tensor(), Tensor(), Tensor(), true),
                      Contains("batch_norm") && Contains("i64"));
  REQUIRE_THROWS_AS(ops::batch_norm_relu_forward(x, c4, c3, c3, c3, true), Error);

  const ops::BatchNormForward f = bn(x, c3, c3, c3.clone(), c3.clone(), true);
  REQUIRE_THROWS_WITH(
      ops::batch_norm_backward(randn64({2, 3, 4, 5}, gen), x, c3, f.save_mean, f.save_invstd, true),
      Contains("batch_norm_backward") && Contains("[2,3,4,5]"));
  REQUIRE_THROWS_WITH(
      ops::batch_norm_backward(randn64(x.shape(), gen), x, c3, c4, f.save_invstd, true),
      Contains("batch_norm_backward") && Contains("save_mean"));
  REQUIRE_THROWS_WITH(ops::batch_norm_relu_backward(randn64(x.shape(), gen), Tensor(), x, c3,
                                                    f.save_mean, f.save_invstd, true),
                      Contains("batch_norm_relu_backward") && Contains("output"));
}
