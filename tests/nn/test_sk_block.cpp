// SelectiveKernel: its output against the selection written out by hand from the block's
// own weights (branches with growing dilation, the pooled sum, squeeze, per-branch softmax,
// weighted sum), make_divisible as timm rounds, shapes and errors, and f64 gradient checks
// of the input and every parameter.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/conv2d.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "autograd/pooling.h"
#include "block_grad_util.h"
#include "nn/init.h"
#include "nn/sk_block.h"

using namespace hs;
using namespace hs::nn;

namespace {

SelectiveKernelOptions options(std::int64_t channels, std::int64_t branches, std::int64_t groups,
                               std::int64_t stride, std::int64_t attention) {
  SelectiveKernelOptions o;
  o.in_channels = o.out_channels = channels;
  o.branches = branches;
  o.cardinality = groups;
  o.stride = stride;
  o.attention = attention;
  return o;
}

Variable bn_relu(const Variable& x, const StateDict& sd, const std::string& p) {
  return relu(batch_norm(x, Variable(sd.at(p + "weight")), Variable(sd.at(p + "bias")),
                         sd.at(p + "running_mean"), sd.at(p + "running_var"), false));
}

// u_m = ReLU(BN(conv3x3_{dilation m+1}(x))); s = mean_HW Σ u_m; z = ReLU(BN(W_r s));
// logits = W_s z; a_{m,c} = exp(logit_{m,c}) / Σ_m' exp(logit_{m',c}); y = Σ_m a_m u_m.
// Written with scalar loops over the attention, so no softmax operator is involved.
std::vector<double> hand_assembled(const SelectiveKernel& block, const SelectiveKernelOptions& o,
                                   const Tensor& x) {
  NoGradGuard no_grad;
  const StateDict sd = block.state_dict();
  std::vector<Tensor> u;
  for (std::int64_t m = 0; m < o.branches; ++m) {
    const std::string p = "paths." + std::to_string(m) + ".";
    const Variable conv = conv2d(Variable(x), Variable(sd.at(p + "conv.weight")), {}, o.stride,
                                 m + 1, m + 1, o.cardinality);
    u.push_back(bn_relu(conv, sd, p + "bn.").data().contiguous());
  }
  Variable total(u[0]);
  for (std::size_t m = 1; m < u.size(); ++m) total = add(total, Variable(u[m]));
  const Variable pooled = global_avg_pool2d(total);
  const Variable z =
      bn_relu(conv2d(pooled, Variable(sd.at("attn.fc_reduce.weight")), {}), sd, "attn.bn.");
  const std::vector<double> logits =
      conv2d(z, Variable(sd.at("attn.fc_select.weight")), {}).data().to_vector<double>();
  const std::int64_t n = x.size(0), c = o.out_channels, plane = u[0].size(2) * u[0].size(3);
  std::vector<double> y(n * c * plane, 0.0);
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t ch = 0; ch < c; ++ch) {
      double denominator = 0;
      for (std::int64_t m = 0; m < o.branches; ++m)
        denominator += std::exp(logits[(i * o.branches + m) * c + ch]);
      for (std::int64_t m = 0; m < o.branches; ++m) {
        const double a = std::exp(logits[(i * o.branches + m) * c + ch]) / denominator;
        const std::vector<double> um = u[m].to_vector<double>();
        for (std::int64_t k = 0; k < plane; ++k)
          y[(i * c + ch) * plane + k] += a * um[(i * c + ch) * plane + k];
      }
    }
  return y;
}

void require_matches_hand_assembled(const SelectiveKernelOptions& o, const Shape& input) {
  manual_seed(5);
  SelectiveKernel block(o);
  block.to(DType::f64);
  Generator gen(6);
  test::randomise_batch_norms(block, gen, "bn.");
  block.eval();
  const Tensor x = randn(input, gen, DType::f64);
  NoGradGuard no_grad;
  const std::vector<double> y = block(Variable(x)).data().to_vector<double>();
  const std::vector<double> expected = hand_assembled(block, o, x);
  REQUIRE(y.size() == expected.size());
  double worst = 0;
  for (std::size_t i = 0; i < y.size(); ++i) worst = std::max(worst, std::abs(y[i] - expected[i]));
  INFO(block.extra_repr());
  CHECK(worst < 1e-12);
}

}  // namespace

TEST_CASE("SelectiveKernel equals the selection written out from the equations") {
  SECTION("two branches") { require_matches_hand_assembled(options(4, 2, 1, 1, 3), {2, 4, 6, 6}); }
  SECTION("three branches, stride 2, grouped") {
    require_matches_hand_assembled(options(6, 3, 2, 2, 4), {2, 6, 7, 7});
  }
}

TEST_CASE("SelectiveKernel: names, shapes, make_divisible and errors") {
  SelectiveKernel block(options(64, 2, 32, 2, 32));
  const StateDict sd = block.state_dict();
  for (const char* key : {"paths.0.conv.weight", "paths.1.bn.running_mean", "attn.fc_reduce.weight",
                          "attn.bn.weight", "attn.fc_select.weight"})
    CHECK(sd.count(key) == 1);
  CHECK(sd.at("paths.1.conv.weight").shape() == Shape{64, 2, 3, 3});
  CHECK(sd.at("attn.fc_select.weight").shape() == Shape{128, 32, 1, 1});
  {
    NoGradGuard no_grad;
    block.eval();
    CHECK(block(Variable(zeros({1, 64, 9, 9}))).shape() == Shape{1, 64, 5, 5});
  }
  CHECK(make_divisible(128 / 16.0, 32) == 32);   // skresnext50 stage 1: 8 -> 32
  CHECK(make_divisible(1024 / 16.0, 32) == 64);  // stage 4: 64
  CHECK(make_divisible(37, 8) == 40);
  CHECK(make_divisible(10, 8) == 16);  // 8 would lose more than 10%
  CHECK_THROWS_WITH(SelectiveKernel(options(4, 1, 1, 1, 2)),
                    Catch::Contains("at least 2 branches"));
  CHECK_THROWS_WITH(SelectiveKernel(options(6, 2, 4, 1, 2)),
                    Catch::Contains("cardinality 4 must divide the channels 6"));
  NoGradGuard no_grad;
  CHECK_THROWS_WITH(block(Variable(zeros({1, 32, 4, 4}))),
                    Catch::Contains("input must be [N,64,H,W]"));
}

TEST_CASE("SelectiveKernel gradcheck: two branches") {
  test::require_block_gradcheck<SelectiveKernel>(options(4, 2, 1, 1, 2), {2, 4, 4, 4}, "bn.");
}

TEST_CASE("SelectiveKernel gradcheck: three branches, stride 2, grouped") {
  test::require_block_gradcheck<SelectiveKernel>(options(4, 3, 2, 2, 3), {2, 4, 5, 5}, "bn.");
}
