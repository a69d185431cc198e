// Res2NetBlock: its output against the hierarchy assembled by hand from the block's own
// weights (which split passes through, where the additions go, the stage block's pool),
// shapes and errors, and f64 gradient checks of the input and every parameter.
#include <catch2/catch.hpp>
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
#include "nn/res2net_block.h"

using namespace hs;
using namespace hs::nn;

namespace {

Res2NetBlockOptions options(std::int64_t scale, std::int64_t width, std::int64_t cardinality,
                            std::int64_t stride, bool stage) {
  Res2NetBlockOptions o;
  o.scale = scale;
  o.width = width;
  o.cardinality = cardinality;
  o.stride = stride;
  o.stage = stage;
  return o;
}

// y_0 = K_0(x_0), y_i = K_i(x_i [+ y_{i-1}]), last split passed (or pooled), written out
// from the equations with the block's weights.
Tensor hand_assembled(const Res2NetBlock& block, const Res2NetBlockOptions& o, const Tensor& x) {
  NoGradGuard no_grad;
  const StateDict sd = block.state_dict();
  const std::vector<Variable> xs =
      split(Variable(x), std::vector<std::int64_t>(o.scale, o.width), 1);
  std::vector<Variable> ys;
  for (std::int64_t i = 0; i + 1 < o.scale; ++i) {
    const std::string p = "." + std::to_string(i) + ".";
    const Variable input = i == 0 || o.stage ? xs[i] : add(xs[i], ys.back());
    const Variable conv =
        conv2d(input, Variable(sd.at("convs" + p + "weight")), {}, o.stride, 1, 1, o.cardinality);
    ys.push_back(relu(batch_norm(
        conv, Variable(sd.at("bns" + p + "weight")), Variable(sd.at("bns" + p + "bias")),
        sd.at("bns" + p + "running_mean"), sd.at("bns" + p + "running_var"), /*training=*/false)));
  }
  ys.push_back(o.stage ? avg_pool2d(xs.back(), 3, o.stride, 1, /*count_include_pad=*/true)
                       : xs.back());
  return cat(ys, 1).data();
}

void require_matches_hand_assembled(const Res2NetBlockOptions& o, const Shape& input) {
  manual_seed(3);
  Res2NetBlock block(o);
  block.to(DType::f64);
  Generator gen(4);
  test::randomise_batch_norms(block, gen, "bns.");
  block.eval();
  const Tensor x = randn(input, gen, DType::f64);
  Tensor y;
  {
    NoGradGuard no_grad;
    y = block(Variable(x)).data();
  }
  const Tensor expected = hand_assembled(block, o, x);
  INFO(block.extra_repr());
  REQUIRE(y.shape() == expected.shape());
  double worst = 0;
  for (std::int64_t i = 0; i < y.numel(); ++i)
    worst = std::max(worst, std::abs(y.contiguous().data<double>()[i] -
                                     expected.contiguous().data<double>()[i]));
  CHECK(worst < 1e-12);
}

}  // namespace

TEST_CASE("Res2NetBlock equals the hierarchy written out from the equations") {
  SECTION("normal block: additions, last split passes through") {
    require_matches_hand_assembled(options(4, 3, 1, 1, false), {2, 12, 5, 5});
  }
  SECTION("stage block, stride 1 (stage 1): no additions, last split pooled") {
    require_matches_hand_assembled(options(3, 2, 1, 1, true), {2, 6, 5, 5});
  }
  SECTION("stage block, stride 2, odd size") {
    require_matches_hand_assembled(options(3, 4, 2, 2, true), {1, 12, 7, 7});
  }
  SECTION("grouped convolutions (Res2NeXt)") {
    require_matches_hand_assembled(options(2, 4, 4, 1, false), {2, 8, 4, 4});
  }
}

TEST_CASE("Res2NetBlock: shapes, parameters and errors") {
  Res2NetBlock normal(options(4, 26, 1, 1, false));
  CHECK(normal.channels() == 104);
  CHECK(normal.named_parameters().size() == 3 * 3);  // 3 convs, 3 BN scales and shifts
  Res2NetBlock strided(options(4, 8, 1, 2, true));
  {
    NoGradGuard no_grad;
    CHECK(strided(Variable(zeros({1, 32, 9, 9}))).shape() == Shape{1, 32, 5, 5});
  }
  CHECK_THROWS_WITH(Res2NetBlock(options(1, 4, 1, 1, false)),
                    Catch::Contains("scale must be >= 2, got 1"));
  CHECK_THROWS_WITH(Res2NetBlock(options(4, 6, 4, 1, false)),
                    Catch::Contains("cardinality 4 must be >= 1 and divide the width 6"));
  CHECK_THROWS_WITH(Res2NetBlock(options(4, 4, 1, 2, false)),
                    Catch::Contains("a strided block must be a stage block"));
  NoGradGuard no_grad;
  CHECK_THROWS_WITH(normal(Variable(zeros({1, 100, 4, 4}))),
                    Catch::Contains("input has 100 channels but scale 4 x width 26 = 104"));
}

TEST_CASE("Res2NetBlock gradcheck: normal block, scale 4") {
  test::require_block_gradcheck<Res2NetBlock>(options(4, 2, 1, 1, false), {2, 8, 4, 4}, "bns.");
}

TEST_CASE("Res2NetBlock gradcheck: stage blocks, stride 1 and 2") {
  test::require_block_gradcheck<Res2NetBlock>(options(3, 2, 1, 1, true), {2, 6, 4, 4}, "bns.");
  test::require_block_gradcheck<Res2NetBlock>(options(3, 2, 1, 2, true), {2, 6, 5, 5}, "bns.");
}

TEST_CASE("Res2NetBlock gradcheck: grouped convolutions") {
  test::require_block_gradcheck<Res2NetBlock>(options(3, 4, 2, 1, false), {2, 12, 3, 3}, "bns.");
}
