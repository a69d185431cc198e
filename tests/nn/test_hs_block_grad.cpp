// HSBlock gradients: f64 central-difference checks of the input and of every parameter
// (convolution weights, BN scales and shifts), with BN in training mode, for both carry
// sides, several carry ratios, stride 2 and uneven widths.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "block_grad_util.h"
#include "nn/hs_block.h"
#include "nn/init.h"

using namespace hs;
using namespace hs::nn;

namespace {

HSBlockOptions options(std::vector<std::int64_t> widths, double r, bool leading,
                       std::int64_t stride) {
  HSBlockOptions o;
  o.widths = std::move(widths);
  o.carry_ratio = r;
  o.carry_leading = leading;
  o.stride = stride;
  return o;
}

}  // namespace

TEST_CASE("HSBlock gradcheck: stride 1, r = 0.5, trailing carry") {
  test::require_block_gradcheck<HSBlock>(options({3, 3, 3, 3}, 0.5, false, 1), {2, 12, 4, 4},
                                         "bns.");
}

TEST_CASE("HSBlock gradcheck: stride 1, r = 0.5, leading carry") {
  test::require_block_gradcheck<HSBlock>(options({3, 3, 3, 3}, 0.5, true, 1), {2, 12, 4, 4},
                                         "bns.");
}

TEST_CASE("HSBlock gradcheck: stride 1, r = 0.25, both carry sides") {
  test::require_block_gradcheck<HSBlock>(options({4, 4, 4}, 0.25, false, 1), {2, 12, 4, 4}, "bns.");
  test::require_block_gradcheck<HSBlock>(options({4, 4, 4}, 0.25, true, 1), {2, 12, 4, 4}, "bns.");
}

TEST_CASE("HSBlock gradcheck: stride 2") {
  test::require_block_gradcheck<HSBlock>(options({3, 3, 3, 3}, 0.5, false, 2), {2, 12, 4, 4},
                                         "bns.");
  test::require_block_gradcheck<HSBlock>(options({2, 3, 2}, 0.5, false, 2), {2, 7, 5, 5}, "bns.");
}

TEST_CASE("HSBlock gradcheck: uneven widths") {
  test::require_block_gradcheck<HSBlock>(options({2, 1, 5, 3}, 0.5, false, 1), {2, 11, 4, 4},
                                         "bns.");
  test::require_block_gradcheck<HSBlock>(options({1, 4, 2}, 0.75, true, 1), {2, 7, 4, 4}, "bns.");
}
