// Differentiable max, average and global average pooling: f64 gradient checks, also through a
// channel slice, and the errors.
#include <catch2/catch.hpp>
#include <vector>

#include "autograd/functions.h"
#include "autograd/pooling.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("pooling: gradcheck of max, average and global average pools") {
  Generator gen(505);
  Variable x(uniform64({2, 2, 5, 6}, gen), true);
  require_gradcheck([](const std::vector<Variable>& in) { return max_pool2d(in[0], 3, 2, 1); },
                    {x});
  require_gradcheck([](const std::vector<Variable>& in) { return max_pool2d(in[0], 2); }, {x});
  require_gradcheck(
      [](const std::vector<Variable>& in) {
        return max_pool2d(in[0], {3, 2}, ops::Size2{1, 2}, {1, 0});
      },
      {x});
  for (bool include_pad : {true, false}) {
    INFO("count_include_pad " << include_pad);
    require_gradcheck(
        [include_pad](const std::vector<Variable>& in) {
          return avg_pool2d(in[0], 3, 2, 1, include_pad);
        },
        {x});
  }
  require_gradcheck([](const std::vector<Variable>& in) { return global_avg_pool2d(in[0]); }, {x});
  // Through a channel slice: the pools read a non-contiguous view.
  require_gradcheck(
      [](const std::vector<Variable>& in) { return max_pool2d(narrow(in[0], 1, 1, 1), 3, 1, 1); },
      {x});
  require_gradcheck(
      [](const std::vector<Variable>& in) { return global_avg_pool2d(narrow(in[0], 1, 1, 1)); },
      {x});
}

TEST_CASE("pooling: errors name the operation") {
  Generator gen(509);
  Variable x(normal64({2, 3, 4, 4}, gen), true);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(max_pool2d(Variable(), 2), Contains("max_pool2d"));
  REQUIRE_THROWS_WITH(avg_pool2d(x, 3, 1, 2), Contains("avg_pool2d") && Contains("padding"));
  REQUIRE_THROWS_WITH(global_avg_pool2d(Variable(normal64({2, 3}, gen))),
                      Contains("global_avg_pool2d"));
}
