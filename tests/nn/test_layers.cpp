// The layers of nn/: each forward against its functional op and a naive f64 loop, MACs of
// Conv2d and Linear, BatchNorm2d's running statistics and num_batches_tracked (training
// only) and its eval mode, Sequential, and the constructor errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/conv2d.h"
#include "autograd/functions.h"
#include "autograd/linear.h"
#include "autograd/pooling.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/sequential.h"
#include "nn/summary.h"
#include "test_util/require_values.h"

using namespace hs;
using namespace hs::nn;
using hs::test::require_values;

namespace {

Tensor uniform64(const Shape& shape, Generator& gen, double lo = -1.0, double hi = 1.0) {
  return rand(shape, gen, DType::f64, lo, hi);
}

// Direct-loop convolution of x [N,C,H,W] with w [O, C/g, K, K] and optional bias.
std::vector<double> naive_conv(const Tensor& xt, const Tensor& wt, const Tensor& bt,
                               std::int64_t stride, std::int64_t pad, std::int64_t dil,
                               std::int64_t groups) {
  const auto x = xt.to_vector<double>(), w = wt.to_vector<double>();
  const auto b = bt.defined() ? bt.to_vector<double>() : std::vector<double>(wt.size(0), 0.0);
  const std::int64_t N = xt.size(0), C = xt.size(1), H = xt.size(2), W = xt.size(3);
  const std::int64_t O = wt.size(0), CG = wt.size(1), K = wt.size(2);
  const std::int64_t OH = (H + 2 * pad - dil * (K - 1) - 1) / stride + 1;
  const std::int64_t OW = (W + 2 * pad - dil * (K - 1) - 1) / stride + 1;
  const std::int64_t OG = O / groups;
  std::vector<double> y;
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t oh = 0; oh < OH; ++oh)
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          double acc = b[o];
          const std::int64_t g = o / OG;
          for (std::int64_t cg = 0; cg < CG; ++cg)
            for (std::int64_t kh = 0; kh < K; ++kh)
              for (std::int64_t kw = 0; kw < K; ++kw) {
                const std::int64_t ih = oh * stride - pad + kh * dil;
                const std::int64_t iw = ow * stride - pad + kw * dil;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const std::int64_t c = g * CG + cg;
                acc += x[((n * C + c) * H + ih) * W + iw] * w[((o * CG + cg) * K + kh) * K + kw];
              }
          y.push_back(acc);
        }
  return y;
}

// Per-channel mean and biased variance of x [N,C,H,W].
void channel_stats(const Tensor& xt, std::vector<double>& mean, std::vector<double>& var) {
  const auto x = xt.to_vector<double>();
  const std::int64_t N = xt.size(0), C = xt.size(1), HW = xt.size(2) * xt.size(3);
  mean.assign(C, 0.0);
  var.assign(C, 0.0);
  for (std::int64_t c = 0; c < C; ++c) {
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t i = 0; i < HW; ++i) mean[c] += x[(n * C + c) * HW + i];
    mean[c] /= N * HW;
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t i = 0; i < HW; ++i) {
        const double d = x[(n * C + c) * HW + i] - mean[c];
        var[c] += d * d;
      }
    var[c] /= N * HW;
  }
}

// (x - mean) / sqrt(var + eps) * gamma + beta per channel, optionally followed by ReLU.
std::vector<double> naive_bn(const Tensor& xt, const std::vector<double>& mean,
                             const std::vector<double>& var, const Tensor& gamma,
                             const Tensor& beta, double eps, bool relu) {
  const auto x = xt.to_vector<double>(), g = gamma.to_vector<double>(),
             b = beta.to_vector<double>();
  const std::int64_t N = xt.size(0), C = xt.size(1), HW = xt.size(2) * xt.size(3);
  std::vector<double> y(x.size());
  for (std::int64_t n = 0; n < N; ++n)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t i = 0; i < HW; ++i) {
        const std::int64_t k = (n * C + c) * HW + i;
        const double v = (x[k] - mean[c]) / std::sqrt(var[c] + eps) * g[c] + b[c];
        y[k] = relu ? std::max(v, 0.0) : v;
      }
  return y;
}

Conv2dOptions conv_options(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                           std::int64_t pad, std::int64_t dil, std::int64_t groups, bool bias) {
  Conv2dOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = k;
  o.stride = stride;
  o.padding = pad;
  o.dilation = dil;
  o.groups = groups;
  o.bias = bias;
  return o;
}

}  // namespace

TEST_CASE("Conv2d: forward equals conv2d and a direct loop") {
  Generator gen(1);
  const std::vector<Conv2dOptions> cases = {
      conv_options(4, 6, 3, 2, 1, 1, 2, true), conv_options(3, 5, 1, 1, 0, 1, 1, false),
      conv_options(2, 4, 3, 1, 2, 2, 1, true), conv_options(3, 3, 3, 1, 1, 1, 3, false),
      conv_options(4, 2, 5, 3, 2, 1, 1, true),
  };
  for (const Conv2dOptions& o : cases) {
    INFO(Conv2d(o).extra_repr());
    Conv2d conv(o);
    conv.to(DType::f64);
    if (o.bias) Tensor(conv.bias.data()).copy_(uniform64({o.out_channels}, gen));
    REQUIRE(conv.weight.shape() ==
            Shape{o.out_channels, o.in_channels / o.groups, o.kernel_size, o.kernel_size});
    const Variable x(uniform64({2, o.in_channels, 7, 6}, gen));
    const Variable y = conv(x);
    const Variable expected =
        conv2d(x, conv.weight, conv.bias, o.stride, o.padding, o.dilation, o.groups);
    require_values(y.data(), expected.data());
    require_values(y.data(),
                   naive_conv(x.data(), conv.weight.data(), o.bias ? conv.bias.data() : Tensor(),
                              o.stride, o.padding, o.dilation, o.groups));
    REQUIRE(conv.named_parameters().size() == (o.bias ? 2u : 1u));
  }
}

TEST_CASE("Conv2d: MACs and extra_repr") {
  Conv2d conv(conv_options(4, 6, 3, 2, 1, 1, 2, true));
  // Output [2,6,4,4]: each output element takes (4/2)·3·3 multiply-adds.
  REQUIRE(conv.macs({2, 4, 7, 7}, {2, 6, 4, 4}) == 2 * 6 * 4 * 4 * 2 * 9);
  Sequential net;
  net.push_back(std::make_shared<Conv2d>(conv_options(3, 8, 3, 1, 1, 1, 1, false)));
  net.push_back(std::make_shared<Conv2d>(conv_options(8, 4, 1, 2, 0, 1, 1, true)));
  const Summary s = summarize(net, {1, 3, 6, 6});
  REQUIRE(s.total_macs == 6 * 6 * 8 * 3 * 9 + 3 * 3 * 4 * 8);
  REQUIRE(s.total_params == 8 * 3 * 9 + 4 * 8 + 4);
  REQUIRE(s.rows.size() == 3);
  REQUIRE(s.rows[0].name == "0");
  REQUIRE(s.rows[1].output == Shape{1, 4, 3, 3});
  REQUIRE_THAT(s.table(), Catch::EndsWith("total params=252 macs=8064\n"));

  // Every row lines up, the root's "(model)" included.
  const std::string table = s.table();
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos;
       start = end + 1)
    lines.push_back(table.substr(start, end - start));
  REQUIRE(lines.size() == 5);
  for (std::size_t i = 1; i < 4; ++i) REQUIRE(lines[i].size() == lines[0].size());
  REQUIRE(lines[3].rfind("(model)  Sequential  [1,4,3,3]", 0) == 0);

  REQUIRE(conv.extra_repr() == "4, 6, kernel_size=3, stride=2, padding=1, groups=2");
  REQUIRE(Conv2d(conv_options(3, 5, 3, 1, 2, 2, 1, false)).extra_repr() ==
          "3, 5, kernel_size=3, stride=1, padding=2, dilation=2, bias=False");
}

TEST_CASE("Conv2d: invalid configurations") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(Conv2d(conv_options(0, 4, 3, 1, 1, 1, 1, false)),
                      Contains("Conv2d") && Contains("positive"));
  REQUIRE_THROWS_WITH(Conv2d(conv_options(4, 4, 0, 1, 1, 1, 1, false)), Contains("kernel size"));
  REQUIRE_THROWS_WITH(Conv2d(conv_options(4, 6, 3, 1, 1, 1, 3, false)),
                      Contains("Conv2d") && Contains("groups 3"));
  REQUIRE_THROWS_WITH(Conv2d(conv_options(4, 6, 3, 1, 1, 1, 0, false)), Contains("groups"));
  Conv2d conv(conv_options(3, 4, 3, 1, 1, 1, 1, false));
  Generator gen(2);
  REQUIRE_THROWS_AS(conv(Variable(rand({1, 5, 6, 6}, gen))), hs::Error);
}

TEST_CASE("Linear: forward, MACs, no-bias variant and errors") {
  Generator gen(3);
  Linear fc(5, 3);
  fc.to(DType::f64);
  const Variable x(uniform64({4, 5}, gen));
  const Variable y = fc(x);
  require_values(y.data(), linear(x, fc.weight, fc.bias).data());
  const auto xv = x.data().to_vector<double>(), w = fc.weight.data().to_vector<double>(),
             b = fc.bias.data().to_vector<double>();
  std::vector<double> expected;
  for (int n = 0; n < 4; ++n)
    for (int o = 0; o < 3; ++o) {
      double acc = b[o];
      for (int i = 0; i < 5; ++i) acc += xv[n * 5 + i] * w[o * 5 + i];
      expected.push_back(acc);
    }
  require_values(y.data(), expected);
  REQUIRE(fc.macs({4, 5}, {4, 3}) == 4 * 5 * 3);
  REQUIRE(fc.extra_repr() == "in_features=5, out_features=3");

  Linear plain(5, 3, false);
  REQUIRE_FALSE(plain.bias.defined());
  REQUIRE(plain.named_parameters().size() == 1);
  REQUIRE(plain.extra_repr() == "in_features=5, out_features=3, bias=False");
  plain.to(DType::f64);
  require_values(plain(x).data(), linear(x, plain.weight).data());

  REQUIRE_THROWS_WITH(Linear(0, 3), Catch::Contains("Linear") && Catch::Contains("positive"));
  REQUIRE_THROWS_WITH(Linear(3, -1), Catch::Contains("Linear"));
  REQUIRE_THROWS_AS(fc(Variable(uniform64({4, 6}, gen))), hs::Error);
}

TEST_CASE("BatchNorm2d: training normalises with batch statistics and updates running ones") {
  Generator gen(4);
  BatchNorm2d bn(3, /*momentum=*/0.3, /*eps=*/1e-3);
  bn.to(DType::f64);
  Tensor(bn.weight.data()).copy_(uniform64({3}, gen, 0.5, 1.5));
  Tensor(bn.bias.data()).copy_(uniform64({3}, gen));
  std::vector<double> running_mean(3, 0.0), running_var(3, 1.0);
  for (int step = 1; step <= 2; ++step) {
    INFO("step " << step);
    const Variable x(uniform64({2, 3, 4, 5}, gen, -1.0 + step, 2.0 + step));
    const Variable y = bn(x);
    std::vector<double> mean, var;
    channel_stats(x.data(), mean, var);
    require_values(y.data(),
                   naive_bn(x.data(), mean, var, bn.weight.data(), bn.bias.data(), 1e-3, false));
    require_values(y.data(),
                   batch_norm(x, bn.weight, bn.bias, Tensor(), Tensor(), true, 0.3, 1e-3).data());
    const double n = 2 * 4 * 5;
    for (int c = 0; c < 3; ++c) {
      running_mean[c] = 0.7 * running_mean[c] + 0.3 * mean[c];
      running_var[c] = 0.7 * running_var[c] + 0.3 * var[c] * n / (n - 1);
    }
    require_values(bn.running_mean, running_mean);
    require_values(bn.running_var, running_var);
    REQUIRE(bn.num_batches_tracked.item() == step);
  }
}

TEST_CASE("BatchNorm2d: eval uses the running statistics and tracks nothing") {
  Generator gen(5);
  BatchNorm2d bn(4);
  bn.to(DType::f64);
  bn.running_mean.copy_(uniform64({4}, gen));
  bn.running_var.copy_(uniform64({4}, gen, 0.5, 2.0));
  Tensor(bn.weight.data()).copy_(uniform64({4}, gen, 0.5, 1.5));
  const std::vector<double> mean = bn.running_mean.to_vector<double>();
  const std::vector<double> var = bn.running_var.to_vector<double>();
  bn.eval();
  const Variable x(uniform64({3, 4, 2, 3}, gen, -2.0, 2.0));
  const Variable y = bn(x);
  require_values(y.data(),
                 naive_bn(x.data(), mean, var, bn.weight.data(), bn.bias.data(), 1e-5, false));
  // Eval reads the statistics without changing them or the counter.
  require_values(bn.running_mean, mean, 0.0);
  require_values(bn.running_var, var, 0.0);
  REQUIRE(bn.num_batches_tracked.item() == 0);
  // Batch 1 is fine in eval (no batch statistics needed).
  REQUIRE(bn(Variable(uniform64({1, 4, 1, 1}, gen))).shape() == Shape{1, 4, 1, 1});

  bn.train();
  bn(x);
  REQUIRE(bn.num_batches_tracked.item() == 1);
  bn.eval();
  bn(x);
  REQUIRE(bn.num_batches_tracked.item() == 1);
}

TEST_CASE("BatchNorm2d: the fused ReLU variant and errors") {
  Generator gen(6);
  BatchNorm2d plain(3), fused(3, 0.1, 1e-5, /*fuse_relu=*/true);
  plain.to(DType::f64);
  fused.to(DType::f64);
  const Variable x(uniform64({2, 3, 3, 3}, gen));
  const std::vector<double> a = plain(x).data().to_vector<double>();
  std::vector<double> expected;
  for (double v : a) expected.push_back(std::max(v, 0.0));
  require_values(fused(x).data(), expected);
  require_values(fused.running_var, plain.running_var);
  REQUIRE(fused.extra_repr() == "3, eps=1e-05, momentum=0.1, fused ReLU");

  REQUIRE_THROWS_WITH(BatchNorm2d(0), Catch::Contains("BatchNorm2d") && Catch::Contains("got 0"));
  REQUIRE_THROWS_AS(plain(Variable(uniform64({2, 4, 3, 3}, gen))), hs::Error);
}

TEST_CASE("Parameter-free layers equal their functional ops") {
  Generator gen(7);
  const Variable x(uniform64({2, 3, 5, 6}, gen));

  std::vector<double> relu_expected;
  for (double v : x.data().to_vector<double>()) relu_expected.push_back(std::max(v, 0.0));
  require_values(ReLU()(x).data(), relu_expected);

  MaxPool2d max_pool(3, 2, 1);
  const Variable m = max_pool(x);
  REQUIRE(m.shape() == Shape{2, 3, 3, 3});
  require_values(m.data(), max_pool2d(x, 3, ops::Size2(2), 1).data());
  // The top-left window covers rows 0..1, cols 0..1 (padding excluded).
  const auto xv = x.data().to_vector<double>();
  REQUIRE(m.data().to_vector<double>()[0] == std::max({xv[0], xv[1], xv[6], xv[7]}));
  REQUIRE(max_pool.extra_repr() == "kernel_size=3, stride=2, padding=1");

  AvgPool2d avg_pool(2, 2);
  const Variable a = avg_pool(x);
  REQUIRE(a.shape() == Shape{2, 3, 2, 3});
  require_values(a.data(), avg_pool2d(x, 2, ops::Size2(2), 0).data());
  REQUIRE(a.data().to_vector<double>()[0] == Approx((xv[0] + xv[1] + xv[6] + xv[7]) / 4));

  const Variable g = AdaptiveAvgPool2d()(x);
  REQUIRE(g.shape() == Shape{2, 3, 1, 1});
  std::vector<double> plane_means;
  for (int p = 0; p < 6; ++p) {
    double s = 0;
    for (int i = 0; i < 30; ++i) s += xv[p * 30 + i];
    plane_means.push_back(s / 30);
  }
  require_values(g.data(), plane_means);
  REQUIRE_THROWS_WITH(AdaptiveAvgPool2d(2), Catch::Contains("AdaptiveAvgPool2d"));

  const Variable f = Flatten()(x);
  REQUIRE(f.shape() == Shape{2, 90});
  require_values(f.data(), xv, 0.0);

  Identity identity;
  REQUIRE(identity(x).same(x));
}

TEST_CASE("Sequential: applies its children in order, named 0, 1, ...") {
  Generator gen(8);
  manual_seed(8);
  auto fc1 = std::make_shared<Linear>(4, 6);
  auto fc2 = std::make_shared<Linear>(6, 2);
  Sequential seq({fc1, std::make_shared<ReLU>(), fc2});
  seq.to(DType::f64);
  REQUIRE(seq.size() == 3);
  REQUIRE_FALSE(seq.empty());
  REQUIRE(&seq[1] == seq.named_children()[1].second.get());
  REQUIRE(&seq.at<Linear>(2) == fc2.get());
  REQUIRE(seq.named_parameters()[2].first == "2.weight");
  const Variable x(uniform64({3, 4}, gen));
  require_values(seq(x).data(), (*fc2)(relu((*fc1)(x))).data());
  seq.push_back(std::make_shared<Identity>());
  REQUIRE(seq.named_children().back().first == "3");

  Sequential empty;
  REQUIRE(empty.empty());
  REQUIRE(empty(x).same(x));
}

TEST_CASE("SkipInit: layers get their shapes but no drawn weights, and the generator stays") {
  manual_seed(21);
  const Generator::State before = global_generator().state();
  {
    const SkipInit skip;
    {
      const SkipInit nested;  // nesting keeps skipping after the inner one ends
    }
    Conv2d conv(conv_options(3, 8, 3, 1, 1, 1, 1, false));
    Linear linear(8, 4);
    CHECK(conv.weight.data().shape() == Shape{8, 3, 3, 3});
    CHECK(linear.weight.data().shape() == Shape{4, 8});
  }
  const Generator::State after = global_generator().state();
  CHECK(after.s == before.s);
  CHECK(after.has_spare == before.has_spare);
  // Once it ends, weights are drawn again: the same as right after manual_seed.
  Conv2d drawn(conv_options(3, 8, 3, 1, 1, 1, 1, false));
  manual_seed(21);
  Conv2d reference(conv_options(3, 8, 3, 1, 1, 1, 1, false));
  require_values(drawn.weight.data(), reference.weight.data().to_vector<double>(), 0.0);
  CHECK(global_generator().state().s != before.s);
}
