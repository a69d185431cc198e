// Batch norm folded into the convolution before it (BatchNorm2d::fold_into,
// Module::fold_batch_norms): the folded weight and bias against the formula w·a,
// bias·a + b with a = γ/√(var+ε), b = β − mean·a; the folded layer's epilogues (identity,
// ReLU, shortcut add + ReLU) against the unfolded layers; and every error of a folded model
// (training, gradients, state dicts, folding twice or in training mode).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "autograd/grad_mode.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/sequential.h"
#include "ops/elementwise.h"

using namespace hs;
using namespace hs::nn;
using Catch::Contains;

namespace {

void set(const Variable& param, const Tensor& value) {
  Tensor data = param.data();  // shares the parameter's storage
  data.copy_(value);
}

// A conv (3 -> 4, 3x3, pad 1) and the batch norm after it, with statistics and affine
// parameters away from the identity, in f64 so that folding is checked to rounding.
struct ConvBn {
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;

  ConvBn(bool conv_bias, bool relu, std::uint64_t seed) {
    Conv2dOptions o;
    o.in_channels = 3;
    o.out_channels = 4;
    o.padding = 1;
    o.bias = conv_bias;
    conv = std::make_shared<Conv2d>(o);
    bn = std::make_shared<BatchNorm2d>(4, 0.1, 1e-3, relu);
    conv->to(DType::f64);
    bn->to(DType::f64);
    Generator gen(seed);
    const TensorOptions f64(DType::f64);
    set(conv->weight, randn({4, 3, 3, 3}, gen, f64));
    if (conv_bias) set(conv->bias, randn({4}, gen, f64));
    set(bn->weight, rand({4}, gen, f64, -2.0, 2.0));
    set(bn->bias, randn({4}, gen, f64));
    bn->running_mean.copy_(randn({4}, gen, f64));
    bn->running_var.copy_(rand({4}, gen, f64, 0.01, 3.0));
    conv->eval();
    bn->eval();
  }
};

std::vector<double> values(const Tensor& t) {
  const Tensor h = t.to(DType::f64).contiguous();
  return {h.data<double>(), h.data<double>() + h.numel()};
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : values(t)) m = std::max(m, std::abs(v));
  return m;
}

double max_abs_diff(const Tensor& a, const Tensor& b) { return max_abs(ops::sub(a, b)); }

}  // namespace

TEST_CASE("fold_into: the folded weight and bias are w·a and bias·a + b") {
  for (bool conv_bias : {false, true}) {
    ConvBn m(conv_bias, false, 11);
    const Tensor w = m.conv->weight.data().clone();
    const Tensor bias = conv_bias ? m.conv->bias.data().clone() : zeros({4}, DType::f64);
    const Tensor gamma = m.bn->weight.data().clone(), beta = m.bn->bias.data().clone();
    const Tensor mean = m.bn->running_mean.clone(), var = m.bn->running_var.clone();
    m.bn->fold_into(*m.conv);
    REQUIRE(m.bn->folded_into_conv());
    REQUIRE(m.conv->bias.defined());
    for (std::int64_t c = 0; c < 4; ++c) {
      const double a = gamma.data<double>()[c] / std::sqrt(var.data<double>()[c] + 1e-3);
      const double b = beta.data<double>()[c] - mean.data<double>()[c] * a;
      for (std::int64_t k = 0; k < 27; ++k)
        REQUIRE(m.conv->weight.data().data<double>()[c * 27 + k] ==
                Approx(w.data<double>()[c * 27 + k] * a).epsilon(1e-14));
      REQUIRE(m.conv->bias.data().data<double>()[c] ==
              Approx(bias.data<double>()[c] * a + b).epsilon(1e-12).margin(1e-14));
    }
    // A created bias is a parameter of the layer, so to() moves and converts it.
    REQUIRE(m.conv->named_parameters().size() == 2);
  }
}

TEST_CASE("fold_into: the folded layers compute what conv -> BN computed") {
  Generator gen(5);
  const Tensor x = randn({2, 3, 6, 5}, gen, DType::f64);
  const Tensor residual = randn({2, 4, 6, 5}, gen, DType::f64);
  NoGradGuard no_grad;
  for (bool relu : {false, true}) {
    ConvBn m(true, relu, 7);
    const Tensor before = (*m.bn)((*m.conv)(Variable(x))).data().clone();
    m.bn->fold_into(*m.conv);
    const Tensor after = (*m.bn)((*m.conv)(Variable(x))).data();
    REQUIRE(max_abs_diff(before, after) < 1e-12 * max_abs(before));
    REQUIRE(m.conv->applies_output_relu() == relu);
    if (relu) {  // the ReLU epilogue is kept: some outputs clipped to 0, none below
      const std::vector<double> v = values(after);
      REQUIRE(*std::min_element(v.begin(), v.end()) == 0.0);
      // It runs in the convolution, and the batch norm passes its output on as it is.
      const Tensor conv_out = (*m.conv)(Variable(x)).data();
      REQUIRE(max_abs_diff(conv_out, after) == 0.0);
      REQUIRE(m.conv->extra_repr().find("ReLU") != std::string::npos);
    }
  }
  ConvBn plain(false, false, 9), folded(false, false, 9);
  const Tensor before =
      plain.bn->forward_add_relu((*plain.conv)(Variable(x)), Variable(residual)).data();
  folded.bn->fold_into(*folded.conv);
  const Tensor pre = (*folded.conv)(Variable(x)).data();
  const Tensor after = folded.bn->forward_add_relu(Variable(pre), Variable(residual)).data();
  REQUIRE(max_abs_diff(before, after) < 1e-12 * max_abs(before));
  // Exactly relu(x + residual) of the folded convolution's output: the identity is exact.
  REQUIRE(max_abs_diff(after, ops::relu(ops::add(pre, residual))) == 0.0);
}

TEST_CASE("fold_into: bad input is an error naming it") {
  ConvBn m(false, false, 3);
  BatchNorm2d wrong(5);
  wrong.eval();
  REQUIRE_THROWS_WITH(wrong.fold_into(*m.conv),
                      Contains("5 channels") && Contains("4 output channels"));
  m.bn->train();
  REQUIRE_THROWS_WITH(m.bn->fold_into(*m.conv), Contains("eval mode"));
  m.bn->eval();
  m.bn->fold_into(*m.conv);
  REQUIRE_THROWS_WITH(m.bn->fold_into(*m.conv), Contains("already folded"));
}

TEST_CASE("fold_batch_norms: a folded model is for inference only") {
  Conv2dOptions o;
  o.in_channels = 2;
  o.out_channels = 3;
  o.padding = 1;
  Sequential net;
  net.push_back(std::make_shared<Conv2d>(o));
  net.push_back(std::make_shared<BatchNorm2d>(3, 0.1, 1e-5, true));
  REQUIRE_THROWS_WITH(net.fold_batch_norms(), Contains("eval mode") && Contains("eval()"));
  const StateDict saved = net.state_dict();
  net.eval();
  net.fold_batch_norms();
  REQUIRE(net.batch_norms_folded());
  REQUIRE(net.at<BatchNorm2d>(1).folded_into_conv());
  REQUIRE(net.at<BatchNorm2d>(1).extra_repr().find("folded") != std::string::npos);

  REQUIRE_THROWS_WITH(net.train(), Contains("cannot train") && Contains("folded"));
  REQUIRE_THROWS_WITH(net[0].train(), Contains("cannot train"));
  REQUIRE_FALSE(net.is_training());
  net.eval();  // eval stays allowed
  REQUIRE_THROWS_WITH(net.state_dict(), Contains("no state dict") && Contains("folded"));
  REQUIRE_THROWS_WITH(net.load_state_dict(saved), Contains("folded"));
  REQUIRE_THROWS_WITH(net.fold_batch_norms(), Contains("already folded"));

  Generator gen(2);
  const Variable x(randn({1, 2, 4, 4}, gen));
  // With gradients on, the conv's output requires grad: no graph through a folded model.
  REQUIRE_THROWS_WITH(net(x), Contains("NoGradGuard") && Contains("inference only"));
  NoGradGuard no_grad;
  REQUIRE(net(x).shape() == Shape{1, 3, 4, 4});
}

TEST_CASE("fold_batch_norms: a state dict taken before folding keeps the unfolded values") {
  ConvBn m(false, false, 4);
  const Tensor w = m.conv->weight.data().clone();
  const Tensor gamma = m.bn->weight.data().clone();
  const StateDict conv_state = m.conv->state_dict(), bn_state = m.bn->state_dict();
  m.bn->fold_into(*m.conv);
  REQUIRE(max_abs_diff(conv_state.at("weight"), w) == 0.0);
  REQUIRE(max_abs_diff(bn_state.at("weight"), gamma) == 0.0);
}
