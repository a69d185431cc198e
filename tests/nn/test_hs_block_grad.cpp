// HSBlock gradients: f64 central-difference checks of the input and of every parameter
// (convolution weights, BN scales and shifts), with BN in training mode, for both carry
// sides, several carry ratios, stride 2 and uneven widths.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "nn/hs_block.h"
#include "nn/init.h"

using namespace hs;
using namespace hs::nn;

namespace {

// Checks d(block(x))/dx and d(block(x))/dθ for every parameter θ. gradcheck perturbs each
// element in its own storage, so the block sees the perturbed parameters through its members.
// BN runs in training mode: its running statistics change on every call, but a training
// forward never reads them.
void require_block_gradcheck(const HSBlockOptions& opts, const Shape& input) {
  manual_seed(7);
  HSBlock block(opts);
  block.to(DType::f64);
  block.train();
  Generator gen(8);
  std::vector<Variable> inputs = {Variable(rand(input, gen, DType::f64, -1.0, 1.0), true)};
  std::vector<std::string> names = {"input"};
  for (auto& [name, p] : block.named_parameters()) {
    // Non-trivial BN affine parameters, so their gradients are not a special case.
    if (name.rfind("bns.", 0) == 0)
      Tensor(p.data()).copy_(rand(p.shape(), gen, DType::f64, 0.5, 1.5));
    inputs.push_back(p);
    names.push_back(name);
  }
  const GradcheckResult result =
      gradcheck([&block](const std::vector<Variable>& in) { return block(in[0]); }, inputs);
  INFO(block.extra_repr());
  INFO(result.report());
  REQUIRE(result.inputs.size() == names.size());
  for (const GradcheckInputReport& r : result.inputs) {
    INFO(names[r.index]);
    CHECK(r.ok);
  }
  REQUIRE(result.ok);
}

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
  require_block_gradcheck(options({3, 3, 3, 3}, 0.5, false, 1), {2, 12, 4, 4});
}

TEST_CASE("HSBlock gradcheck: stride 1, r = 0.5, leading carry") {
  require_block_gradcheck(options({3, 3, 3, 3}, 0.5, true, 1), {2, 12, 4, 4});
}

TEST_CASE("HSBlock gradcheck: stride 1, r = 0.25, both carry sides") {
  require_block_gradcheck(options({4, 4, 4}, 0.25, false, 1), {2, 12, 4, 4});
  require_block_gradcheck(options({4, 4, 4}, 0.25, true, 1), {2, 12, 4, 4});
}

TEST_CASE("HSBlock gradcheck: stride 2") {
  require_block_gradcheck(options({3, 3, 3, 3}, 0.5, false, 2), {2, 12, 4, 4});
  require_block_gradcheck(options({2, 3, 2}, 0.5, false, 2), {2, 7, 5, 5});
}

TEST_CASE("HSBlock gradcheck: uneven widths") {
  require_block_gradcheck(options({2, 1, 5, 3}, 0.5, false, 1), {2, 11, 4, 4});
  require_block_gradcheck(options({1, 4, 2}, 0.75, true, 1), {2, 7, 4, 4});
}
