// The differentiable linear layer: f64 gradient checks of x, w and b, which inputs get a
// gradient, and the errors.
#include <catch2/catch.hpp>
#include <vector>

#include "autograd/functions.h"
#include "autograd/linear.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("linear: gradcheck of x, w and b; only inputs that require grad get one") {
  Generator gen(506);
  Variable x(uniform64({4, 3}, gen), true);
  Variable w(uniform64({5, 3}, gen), true);
  Variable b(uniform64({5}, gen), true);
  require_gradcheck([](const std::vector<Variable>& in) { return linear(in[0], in[1], in[2]); },
                    {x, w, b});
  require_gradcheck([](const std::vector<Variable>& in) { return linear(in[0], in[1]); }, {x, w});
  require_gradcheck(
      [](const std::vector<Variable>& in) { return linear(transpose(in[0], 0, 1), in[1], in[2]); },
      {Variable(uniform64({3, 4}, gen), true), w, b});

  Variable frozen_w(uniform64({5, 3}, gen), false);
  const Variable y = linear(x, frozen_w, b);
  REQUIRE(y.grad_fn()->name() == "LinearBackward");
  sum(y).backward();
  REQUIRE(x.grad().defined());
  REQUIRE_FALSE(frozen_w.grad().defined());
  REQUIRE(b.grad().defined());
  require_values(b.grad(), std::vector<double>(5, 4.0));  // Σ over a batch of 4 ones
}

TEST_CASE("linear: errors name the operation") {
  Generator gen(509);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(linear(Variable(normal64({2, 3}, gen)), Variable()),
                      Contains("linear") && Contains("weight"));
}
