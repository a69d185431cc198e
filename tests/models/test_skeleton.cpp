// The two skeletons (models/skeleton.h) with every block: each named model is the skeleton
// with its block (same parameters, same function from the same seed), the blocks no preset
// uses have the published or closed-form parameter counts, and the options a block does not
// use are errors.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "autograd/grad_mode.h"
#include "models/registry.h"
#include "nn/init.h"

using namespace hs;
using namespace hs::models;
using nlohmann::json;

namespace {

std::int64_t params_of(ResNet& model) {
  std::int64_t total = 0;
  for (auto& [_, p] : model.named_parameters()) total += p.numel();
  return total;
}

// Builds both from the same seed and checks they have the same parameters (names and
// shapes) and compute the same logits on one input.
void check_same_model(const std::string& preset, const json& preset_options,
                      const std::string& skeleton, const json& skeleton_options,
                      std::int64_t side) {
  INFO(preset << " " << preset_options.dump() << " vs " << skeleton << " "
              << skeleton_options.dump());
  nn::manual_seed(11);
  auto a = create_model(preset, preset_options);
  nn::manual_seed(11);
  auto b = create_model(skeleton, skeleton_options);
  const auto pa = a->named_parameters(), pb = b->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    REQUIRE(pa[i].first == pb[i].first);
    REQUIRE(pa[i].second.shape() == pb[i].second.shape());
  }
  a->eval();
  b->eval();
  Generator gen(3);
  const Tensor x = randn({1, 3, side, side}, gen);
  NoGradGuard no_grad;
  const Tensor ya = (*a)(Variable(x)).data(), yb = (*b)(Variable(x)).data();
  REQUIRE(ya.shape() == yb.shape());
  CHECK(ya.to_vector<float>() == yb.to_vector<float>());
}

}  // namespace

TEST_CASE("skeleton: every CIFAR preset is cifar_resnet with its block") {
  check_same_model("hs_resnet29_cifar", {{"s", 3}, {"ratio", 0.25}}, "cifar_resnet",
                   {{"block", "hs"}, {"s", 3}, {"ratio", 0.25}}, 32);
  check_same_model("hs_resnet56_cifar", json::object(), "cifar_resnet", {{"depth", 56}}, 32);
  check_same_model("res2net29_cifar", {{"w0", 5}}, "cifar_resnet",
                   {{"block", "res2net"}, {"w0", 5}}, 32);
  check_same_model("skresnet29_cifar", json::object(), "cifar_resnet", {{"block", "sk"}}, 32);
  check_same_model("resnet20_cifar", json::object(), "cifar_resnet", {{"block", "basic"}}, 32);
  check_same_model("resnet32_cifar", json::object(), "cifar_resnet",
                   {{"block", "basic"}, {"depth", 32}}, 32);
}

TEST_CASE("skeleton: every ImageNet preset is imagenet_resnet with its block") {
  check_same_model("resnet50", json::object(), "imagenet_resnet", {{"block", "bottleneck"}}, 32);
  check_same_model("hs_resnet50", json::object(), "imagenet_resnet", {{"block", "hs"}}, 32);
  check_same_model("res2net50_26w_4s", json::object(), "imagenet_resnet", {{"block", "res2net"}},
                   32);
  check_same_model("res2next50", json::object(), "imagenet_resnet",
                   {{"block", "res2net"}, {"base_width", 4}, {"cardinality", 8}}, 32);
  check_same_model("skresnext50_32x4d", json::object(), "imagenet_resnet", {{"block", "sk"}}, 32);
}

TEST_CASE("skeleton: ImageNet basic blocks have torchvision's parameter counts") {
  // torchvision.models.resnet18 and resnet34 (sum of p.numel()).
  CHECK(params_of(*create_model("imagenet_resnet", {{"block", "basic"}, {"depth", 18}})) ==
        11689512);
  CHECK(params_of(*create_model("imagenet_resnet", {{"block", "basic"}, {"depth", 34}})) ==
        21797672);
}

TEST_CASE("skeleton: the CIFAR bottleneck block matches its closed form") {
  // Stage k: planes 16·2^k, middle width s·w0·2^k (s = 4, w0 = 8: 32, 64, 128), 3 blocks.
  std::int64_t expected = 3 * 16 * 9 + 2 * 16 + 256 * 10 + 10;  // stem and fc
  std::int64_t in = 16;
  for (int k = 0; k < 3; ++k) {
    const std::int64_t width = 32 << k, out = 64 << k;
    for (int b = 0; b < 3; ++b) {
      expected += in * width + 2 * width;          // conv1, bn1
      expected += width * width * 9 + 2 * width;   // conv2, bn2
      expected += width * out + 2 * out;           // conv3, bn3
      if (b == 0) expected += in * out + 2 * out;  // projection
      in = out;
    }
  }
  CHECK(params_of(*create_model("cifar_resnet", {{"block", "bottleneck"}})) == expected);
}

TEST_CASE("skeleton: forward shapes of every block on both skeletons") {
  NoGradGuard no_grad;
  Generator gen(1);
  for (const std::string& block : block_names()) {
    INFO(block);
    auto cifar = create_model("cifar_resnet", {{"block", block}, {"classes", 7}});
    cifar->eval();
    CHECK((*cifar)(Variable(randn({2, 3, 32, 32}, gen))).shape() == Shape{2, 7});
    auto imagenet = create_model("imagenet_resnet", {{"block", block}, {"classes", 5}});
    imagenet->eval();
    CHECK((*imagenet)(Variable(randn({1, 3, 32, 32}, gen))).shape() == Shape{1, 5});
  }
  CHECK(model_input_size("cifar_resnet") == 32);
  CHECK(model_input_size("imagenet_resnet") == 224);
}

TEST_CASE("skeleton: option errors") {
  using Catch::Matchers::Contains;
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", "dense"}}),
                      Contains("unknown block 'dense'") && Contains("res2net"));
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", 3}}), Contains("must be a string"));
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", "res2net"}, {"ratio", 0.3}}),
                      Contains("'ratio' does not apply to block res2net"));
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", "basic"}, {"s", 3}}),
                      Contains("'s' does not apply to block basic"));
  REQUIRE_THROWS_WITH(create_model("imagenet_resnet", {{"block", "hs"}, {"w0", 3}}),
                      Contains("'w0' does not apply to block hs"));
  REQUIRE_THROWS_WITH(
      create_model("imagenet_resnet", {{"block", "bottleneck"}, {"cardinality", 4}}),
      Contains("'cardinality' does not apply to block bottleneck"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"block", "sk"}}),
                      Contains("unknown option 'block'") && Contains("cifar_resnet"));
  REQUIRE_THROWS_WITH(create_model("resnet50", {{"depth", 101}}),
                      Contains("fixes its block and depth"));
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", "sk"}, {"depth", 21}}),
                      Contains("9n+2"));
  // A preset's skeleton error names the preset.
  REQUIRE_THROWS_WITH(create_model("hs_resnet50", {{"s", 5}}),
                      Contains("hs_resnet50: imagenet_resnet") && Contains("not divisible by s=5"));
}
