// The Selective-Kernel family: skresnext50_32x4d against the published size (27.5 M
// parameters, 4.47 GFLOPs — timm counts 27.48 M), skresnet29_cifar against a closed form
// written here from the block description, timm's parameter names and forward shapes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "autograd/grad_mode.h"
#include "models/registry.h"
#include "nn/sk_block.h"
#include "nn/summary.h"

using namespace hs;
using namespace hs::models;
using nlohmann::json;

namespace {

std::int64_t params_of(const std::string& name, const json& options = json::object()) {
  std::int64_t total = 0;
  for (auto& [_, p] : create_model(name, options)->named_parameters()) total += p.numel();
  return total;
}

// conv1 in -> w, two branches of 3x3 w -> w (groups g) with BN, the attention w -> a -> 2w
// with its BN, conv3 w -> 4p, and the projection when the shape changes.
std::int64_t sk_bottleneck_params(std::int64_t in, std::int64_t planes, std::int64_t w,
                                  std::int64_t g, std::int64_t a, bool project) {
  const std::int64_t out = 4 * planes;
  std::int64_t n = in * w + 2 * w;
  n += 2 * (9 * w * (w / g) + 2 * w);
  n += w * a + 2 * a + a * 2 * w;
  n += w * out + 2 * out;
  if (project) n += in * out + 2 * out;
  return n;
}

}  // namespace

TEST_CASE("sknet: skresnext50_32x4d has the published size") {
  auto model = create_model("skresnext50_32x4d");
  const nn::Summary summary = nn::summarize(*model, {1, 3, 224, 224});
  CHECK(std::abs(summary.total_params / 1e6 - 27.48) < 0.005);
  CHECK(std::abs(summary.total_macs / 1e9 - 4.47) < 0.02);
  const nn::StateDict sd = model->state_dict();
  for (const char* key : {"layer1.0.conv2.paths.0.conv.weight", "layer1.0.conv2.paths.1.bn.bias",
                          "layer1.0.conv2.attn.fc_reduce.weight",
                          "layer4.2.conv2.attn.fc_select.weight", "layer1.0.downsample.0.weight"})
    CHECK(sd.count(key) == 1);
  CHECK(sd.at("layer1.0.conv2.paths.0.conv.weight").shape() == Shape{128, 4, 3, 3});
  CHECK(sd.at("layer4.0.conv2.attn.fc_reduce.weight").shape() == Shape{64, 1024, 1, 1});
}

TEST_CASE("sknet: skresnet29_cifar matches the closed form at hs_resnet29's width") {
  for (const auto& [s, w0] : {std::pair{4, 8}, std::pair{2, 5}}) {
    std::int64_t expected = 3 * 16 * 9 + 2 * 16 + 256 * 10 + 10;
    std::int64_t in = 16;
    for (int k = 0; k < 3; ++k) {
      const std::int64_t planes = 16 << k, w = std::int64_t{s * w0} << k;
      for (int b = 0; b < 3; ++b) {
        expected += sk_bottleneck_params(in, planes, w, 1, nn::make_divisible(w / 16.0, 8), b == 0);
        in = 4 * planes;
      }
    }
    INFO("s=" << s << " w0=" << w0);
    CHECK(params_of("skresnet29_cifar", {{"s", s}, {"w0", w0}}) == expected);
  }
  NoGradGuard no_grad;
  auto model = create_model("skresnet29_cifar", {{"in_channels", 1}, {"classes", 7}});
  model->eval();
  CHECK((*model)(Variable(zeros({2, 1, 28, 28}))).shape() == Shape{2, 7});
}
