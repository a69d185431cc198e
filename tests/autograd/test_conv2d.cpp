// conv2d as a differentiable function: f64 gradient checks of input, weight and bias over
// strides, paddings, dilations and groups; which inputs get a gradient; grad mode.
#include <catch2/catch.hpp>

#include "autograd/conv2d.h"
#include "autograd/grad_mode.h"
#include "autograd_test_util.h"
#include "ops/conv2d.h"

using namespace hs;
using namespace hs::test;

namespace {

struct GradCase {
  const char* name;
  Shape x, w;
  ops::Conv2dParams params;
  bool bias;
};

}  // namespace

TEST_CASE("conv2d: gradients of input, weight and bias pass gradcheck") {
  Generator gen(51);
  const std::vector<GradCase> cases = {
      {"3x3 padding 1", {2, 3, 5, 6}, {4, 3, 3, 3}, ops::Conv2dParams::symmetric(1, 1), true},
      {"groups 2", {2, 4, 5, 5}, {6, 2, 3, 3}, ops::Conv2dParams::symmetric(1, 1, 1, 2), true},
      {"stride 2", {2, 3, 7, 6}, {4, 3, 3, 3}, ops::Conv2dParams::symmetric(2, 1), true},
      {"dilation 2", {1, 2, 7, 7}, {3, 2, 3, 3}, ops::Conv2dParams::symmetric(1, 2, 2), true},
      {"stride 2, dilation 2, padding 1, groups 2",
       {3, 4, 8, 7},
       {4, 2, 3, 2},
       ops::Conv2dParams::symmetric(2, 1, 2, 2),
       true},
      {"1x1 without bias", {2, 5, 4, 3}, {3, 5, 1, 1}, ops::Conv2dParams::symmetric(1, 0), false},
      {"asymmetric parameters",
       {2, 2, 6, 7},
       {3, 2, 2, 3},
       ops::Conv2dParams{2, 1, 0, 1, 1, 2, 1},
       true},
  };
  for (const GradCase& c : cases) {
    INFO(c.name);
    std::vector<Variable> inputs = {Variable(uniform64(c.x, gen), true),
                                    Variable(uniform64(c.w, gen), true)};
    if (c.bias) inputs.emplace_back(uniform64({c.w[0]}, gen), true);
    const ops::Conv2dParams params = c.params;
    require_gradcheck(
        [params](const std::vector<Variable>& in) {
          return conv2d(in[0], in[1], in.size() > 2 ? in[2] : Variable(), params);
        },
        inputs);
  }
}

TEST_CASE("conv2d: the symmetric overload and non-contiguous inputs") {
  Generator gen(52);
  Variable x(transposed_copy(uniform64({2, 4, 6, 5}, gen)), true);
  Variable w(spread_copy(uniform64({4, 2, 3, 3}, gen)), true);
  Variable b(uniform64({4}, gen), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) { return conv2d(in[0], in[1], in[2], 2, 1, 1, 2); },
      {x, w, b});
}

TEST_CASE("conv2d: only inputs that require grad get one") {
  Generator gen(53);
  const Tensor x = uniform64({2, 3, 5, 5}, gen), w = uniform64({4, 3, 3, 3}, gen);
  const Tensor b = uniform64({4}, gen);

  SECTION("weight and bias only (a first layer)") {
    Variable xv(x), wv(w, true), bv(b, true);
    Variable y = conv2d(xv, wv, bv, 1, 1);
    REQUIRE(y.grad_fn() != nullptr);
    CHECK(y.grad_fn()->name() == "ConvBackward");
    sum(y).backward();
    CHECK_FALSE(xv.grad().defined());
    REQUIRE(wv.grad().defined());
    CHECK(wv.grad().shape() == w.shape());
    // d(sum y)/db = number of output positions per channel.
    require_values(bv.grad(), std::vector<double>(4, 2.0 * 5 * 5));
  }
  SECTION("input only, no bias") {
    Variable xv(x, true), wv(w);
    Variable y = conv2d(xv, wv, Variable(), 1, 1);
    REQUIRE(y.grad_fn() != nullptr);
    CHECK(y.grad_fn()->next_edges.size() == 2);
    sum(y).backward();
    REQUIRE(xv.grad().defined());
    CHECK(xv.grad().shape() == x.shape());
    CHECK_FALSE(wv.grad().defined());
  }
  SECTION("nothing requires grad, or grad mode is off") {
    CHECK(conv2d(Variable(x), Variable(w), Variable(b), 1, 1).grad_fn() == nullptr);
    NoGradGuard no_grad;
    Variable y = conv2d(Variable(x, true), Variable(w, true), Variable(b, true), 1, 1);
    CHECK(y.grad_fn() == nullptr);
    CHECK_FALSE(y.requires_grad());
    require_values(y.data(), ops::conv2d_forward(x, w, b, ops::Conv2dParams::symmetric(1, 1)));
  }
}

TEST_CASE("conv2d: argument errors come from the operator") {
  Generator gen(54);
  Variable x(uniform64({2, 3, 5, 5}, gen), true);
  REQUIRE_THROWS_WITH(conv2d(x, Variable(uniform64({4, 2, 3, 3}, gen), true), Variable()),
                      Catch::Contains("conv2d: input has 3 channels but weight expects 2"));
  REQUIRE_THROWS_WITH(conv2d(x, Variable(), Variable()), Catch::Contains("conv2d"));
}
