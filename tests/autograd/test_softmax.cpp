// softmax's gradient: f64 central-difference checks along every dimension, through a
// non-contiguous view, and inside the attention-weighted sum a Selective-Kernel block
// computes (weights softmax(z) over branches times the branch outputs, summed).
#include <catch2/catch.hpp>

#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd/softmax.h"
#include "core/generator.h"

using namespace hs;

namespace {

void require_gradcheck(const std::function<Variable(const std::vector<Variable>&)>& f,
                       std::vector<Variable> inputs) {
  const GradcheckResult result = gradcheck(f, inputs);
  INFO(result.report());
  REQUIRE(result.ok);
}

}  // namespace

TEST_CASE("softmax gradcheck along every dimension") {
  Generator gen(21);
  const Variable x(randn({2, 3, 4}, gen, DType::f64), true);
  for (std::int64_t dim : {0, 1, 2, -1}) {
    INFO("dim " << dim);
    // A weighted sum of the outputs, so the check sees more than the rows' constant sums.
    const Variable w(randn({2, 3, 4}, gen, DType::f64));
    require_gradcheck([&](const std::vector<Variable>& in) { return mul(softmax(in[0], dim), w); },
                      {x});
  }
}

TEST_CASE("softmax gradcheck through a transposed view") {
  Generator gen(22);
  const Variable x(randn({3, 5}, gen, DType::f64), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) { return softmax(transpose(in[0], 0, 1), 1); }, {x});
}

TEST_CASE("softmax gradcheck in a branch-attention weighted sum") {
  Generator gen(23);
  // z: [N, M=3 branches, C=2, 1, 1] attention logits; u: [N, M, C, H, W] branch outputs.
  const Variable z(randn({2, 3, 2, 1, 1}, gen, DType::f64), true);
  const Variable u(randn({2, 3, 2, 3, 3}, gen, DType::f64), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) { return sum(mul(softmax(in[0], 1), in[1]), {1}); },
      {z, u});
}
