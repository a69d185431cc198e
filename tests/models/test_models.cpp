// The model families and their registry: parameter and MAC counts against closed-form
// counts computed here, forward shapes of every family, state-dict key names (torchvision's
// for the ResNets), the effect of each option, and every registry error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/summary.h"

using namespace hs;
using namespace hs::models;
using nlohmann::json;

namespace {

// ---- closed-form counts, written from the architecture descriptions ----

// Parameters of the convolutions + BNs of one HS block with s equal groups of width w.
std::int64_t hs_block_params(std::int64_t s, std::int64_t w, double r, bool strided) {
  std::int64_t total = 0, carry = 0;
  for (std::int64_t i = 2; i <= s; ++i) {
    const std::int64_t c = w + (strided ? 0 : carry);
    total += c * c * 9 + 2 * c;
    carry = (strided || i == s) ? 0 : static_cast<std::int64_t>(std::floor(r * c));
  }
  return total;
}

// Multiply-accumulates of the same block's convolutions at output size hw (H·W).
std::int64_t hs_block_macs(std::int64_t s, std::int64_t w, double r, bool strided,
                           std::int64_t hw) {
  std::int64_t total = 0, carry = 0;
  for (std::int64_t i = 2; i <= s; ++i) {
    const std::int64_t c = w + (strided ? 0 : carry);
    total += hw * c * c * 9;
    carry = (strided || i == s) ? 0 : static_cast<std::int64_t>(std::floor(r * c));
  }
  return total;
}

struct Count {
  std::int64_t params = 0, macs = 0;
};

// A conv (k×k, no bias) followed by a BN, producing `out` channels over `hw` positions.
void conv_bn(Count& n, std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t hw) {
  n.params += in * out * k * k + 2 * out;
  n.macs += hw * in * out * k * k;
}

// hs_resnet{9n+2}_cifar on a square input of side `side`.
Count hs_resnet_cifar_count(int depth, std::int64_t s, std::int64_t w0, double r,
                            std::int64_t classes, std::int64_t in_channels, std::int64_t side) {
  const int n = (depth - 2) / 9;
  Count c;
  conv_bn(c, in_channels, 16, 3, side * side);
  std::int64_t in = 16;
  for (int k = 0; k < 3; ++k) {
    const std::int64_t planes = 16 << k, w = w0 << k, width = s * w, out = 4 * planes;
    for (int b = 0; b < n; ++b) {
      const bool strided = k > 0 && b == 0;
      const std::int64_t in_hw = side * side;
      if (strided) side = (side + 1) / 2;
      const std::int64_t hw = side * side;
      conv_bn(c, in, width, 1, in_hw);
      c.params += hs_block_params(s, w, r, strided);
      c.macs += hs_block_macs(s, w, r, strided, hw);
      conv_bn(c, width, out, 1, hw);
      if (in != out || strided) conv_bn(c, in, out, 1, hw);
      in = out;
    }
  }
  c.params += in * classes + classes;
  c.macs += in * classes;
  return c;
}

// resnet{6n+2}_cifar with projection (conv1x1 + BN) shortcuts: parameters.
std::int64_t resnet_cifar_params(int depth, std::int64_t classes) {
  const int n = (depth - 2) / 6;
  Count c;
  conv_bn(c, 3, 16, 3, 1);
  std::int64_t in = 16;
  for (int k = 0; k < 3; ++k) {
    const std::int64_t planes = 16 << k;
    for (int b = 0; b < n; ++b) {
      conv_bn(c, in, planes, 3, 1);
      conv_bn(c, planes, planes, 3, 1);
      if (in != planes) conv_bn(c, in, planes, 1, 1);
      in = planes;
    }
  }
  return c.params + in * classes + classes;
}

const int kImagenetBlocks50[] = {3, 4, 6, 3};

// torchvision resnet50 / hs_resnet50 (blocks per stage), parameters.
std::int64_t imagenet_params(const int* blocks, bool hs, std::int64_t s, double r, bool plain) {
  Count c;
  conv_bn(c, 3, 64, 7, 1);
  std::int64_t in = 64;
  for (int k = 0; k < 4; ++k) {
    const std::int64_t planes = 64 << k, width = planes, out = 4 * planes;
    for (int b = 0; b < blocks[k]; ++b) {
      const bool strided = k > 0 && b == 0;
      conv_bn(c, in, width, 1, 1);
      if (hs && !(strided && plain))
        c.params += hs_block_params(s, width / s, r, strided);
      else
        conv_bn(c, width, width, 3, 1);
      conv_bn(c, width, out, 1, 1);
      if (in != out || strided) conv_bn(c, in, out, 1, 1);
      in = out;
    }
  }
  return c.params + in * 1000 + 1000;
}

std::set<std::string> keys_of(const nn::Module& m) {
  std::set<std::string> keys;
  for (const auto& [k, v] : m.state_dict()) keys.insert(k);
  return keys;
}

Shape shape_of(const nn::Module& m, const std::string& key) {
  return m.state_dict().at(key).shape();
}

// The ImageNet models draw ~20M initial weights each: build each configuration once.
std::shared_ptr<ResNet> imagenet_model(const std::string& name,
                                       const json& options = json::object()) {
  static std::map<std::string, std::shared_ptr<ResNet>> built;
  std::shared_ptr<ResNet>& model = built[name + options.dump()];
  if (!model) model = create_model(name, options);
  return model;
}

Shape output_shape(nn::Module& model, const Shape& input) {
  NoGradGuard no_grad;
  model.eval();
  Generator gen(1);
  return model(Variable(rand(input, gen, DType::f32, -1.0, 1.0))).shape();
}

}  // namespace

TEST_CASE("models: hs_resnet29_cifar has 478194 parameters and 75659776 MACs on 32x32") {
  auto model = create_model("hs_resnet29_cifar");
  const nn::Summary s = nn::summarize(*model, {1, 3, 32, 32});
  REQUIRE(s.total_params == 478194);
  REQUIRE(s.total_macs == 75659776);
  const Count expected = hs_resnet_cifar_count(29, 4, 8, 0.5, 10, 3, 32);
  REQUIRE(expected.params == 478194);
  REQUIRE(expected.macs == 75659776);
  REQUIRE(model->num_parameters() == 478194);
  REQUIRE_THAT(s.table(), Catch::EndsWith("total params=478194 macs=75659776\n"));
  REQUIRE(s.rows.back().name.empty());
  REQUIRE(s.rows.back().output == Shape{1, 10});
  REQUIRE(model->is_training());  // summarize restores the mode
}

TEST_CASE("models: resnet20_cifar and resnet50 parameter counts") {
  // Projection shortcuts (1x1 conv + BN) at the two stage changes: 269722 (option A, no
  // shortcut parameters) + 16·32 + 2·32 + 32·64 + 2·64.
  REQUIRE(resnet_cifar_params(20, 10) == 269722 + 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64);
  REQUIRE(create_model("resnet20_cifar")->num_parameters() == 272474);
  REQUIRE(resnet_cifar_params(20, 10) == 272474);
  for (const char* name : {"resnet32_cifar", "resnet56_cifar"}) {
    INFO(name);
    const int depth = std::stoi(std::string(name).substr(6));
    REQUIRE(create_model(name)->num_parameters() == resnet_cifar_params(depth, 10));
  }

  auto r50 = imagenet_model("resnet50");
  REQUIRE(r50->num_parameters() == 25557032);  // torchvision's resnet50
  REQUIRE(imagenet_params(kImagenetBlocks50, false, 0, 0, false) == 25557032);
  REQUIRE(nn::summarize(*r50, {1, 3, 32, 32}).total_params == 25557032);
}

TEST_CASE("models: HS ImageNet parameter counts follow the formula") {
  REQUIRE(imagenet_model("hs_resnet50")->num_parameters() ==
          imagenet_params(kImagenetBlocks50, true, 8, 0.5, false));
  REQUIRE(imagenet_model("hs_resnet50", {{"downsample_block", "plain"}})->num_parameters() ==
          imagenet_params(kImagenetBlocks50, true, 8, 0.5, true));
}

TEST_CASE("models: CIFAR options change the parameter count as the formula says") {
  struct Case {
    json options;
    std::int64_t s, w0;
    double r;
    std::int64_t classes, in_channels;
  };
  const std::vector<Case> cases = {
      {{{"s", 6}, {"ratio", 0.25}}, 6, 8, 0.25, 10, 3},
      {{{"w0", 4}}, 4, 4, 0.5, 10, 3},
      {{{"s", 2}, {"w0", 16}, {"ratio", 0}}, 2, 16, 0.0, 10, 3},
      {{{"s", 5}, {"w0", 3}, {"ratio", 0.75}}, 5, 3, 0.75, 10, 3},
      {{{"classes", 100}}, 4, 8, 0.5, 100, 3},
      {{{"in_channels", 1}}, 4, 8, 0.5, 10, 1},
  };
  for (const Case& c : cases) {
    INFO(c.options.dump());
    const Count expected = hs_resnet_cifar_count(29, c.s, c.w0, c.r, c.classes, c.in_channels, 32);
    auto model = create_model("hs_resnet29_cifar", c.options);
    REQUIRE(model->num_parameters() == expected.params);
  }
  // The MACs follow too (one non-default case; 28x28 input rounds up at each stride).
  auto model = create_model("hs_resnet29_cifar", {{"s", 6}, {"ratio", 0.25}, {"in_channels", 1}});
  const Count expected = hs_resnet_cifar_count(29, 6, 8, 0.25, 10, 1, 28);
  REQUIRE(nn::summarize(*model, {1, 1, 28, 28}).total_macs == expected.macs);
  REQUIRE(create_model("hs_resnet56_cifar")->num_parameters() ==
          hs_resnet_cifar_count(56, 4, 8, 0.5, 10, 3, 32).params);
  REQUIRE(create_model("resnet20_cifar", {{"classes", 100}})->num_parameters() ==
          resnet_cifar_params(20, 100));
}

namespace {

// Eval-mode logits of hs_resnet29_cifar with `options` on a fixed input, after loading `weights`.
std::vector<float> logits_with(const json& options, const nn::StateDict& weights) {
  auto model = create_model("hs_resnet29_cifar", options);
  model->load_state_dict(weights);
  NoGradGuard no_grad;
  model->eval();
  Generator gen(4);
  return (*model)(Variable(rand({2, 3, 16, 16}, gen, DType::f32, -1.0, 1.0)))
      .data()
      .to_vector<float>();
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(double{a[i]} - b[i]));
  return d;
}

}  // namespace

TEST_CASE("models: carry_leading changes the function, with the same weights") {
  // The option moves the carried channels of every HS block from the end of each group to its
  // start. With the same weights the logits must differ when something is carried, and must
  // not when nothing is (r = 0: the negative control).
  for (const double ratio : {0.5, 0.0}) {
    INFO("ratio " << ratio);
    const json trailing = {{"s", 3}, {"w0", 4}, {"ratio", ratio}};
    json leading = trailing;
    leading["carry_leading"] = true;
    nn::manual_seed(9);
    const nn::StateDict weights = create_model("hs_resnet29_cifar", trailing)->state_dict();
    const std::vector<float> a = logits_with(trailing, weights);
    const std::vector<float> b = logits_with(leading, weights);
    REQUIRE(a.size() == 20);
    REQUIRE(logits_with(leading, weights) == b);  // deterministic
    if (ratio > 0)
      REQUIRE(max_abs_difference(a, b) > 1e-3);
    else
      REQUIRE(a == b);
  }
}

TEST_CASE("models: forward shapes of every registered family") {
  const std::vector<std::string> names = model_names();
  REQUIRE(names.size() == 32);  // 30 presets and the two skeletons
  int cifar = 0;
  for (const std::string& name : names) {
    if (name.find("_cifar") == std::string::npos) continue;
    INFO(name);
    auto model = create_model(name);
    REQUIRE(output_shape(*model, {2, 3, 32, 32}) == Shape{2, 10});
    ++cifar;
  }
  REQUIRE(cifar == 17);

  // Fashion-MNIST-like: one channel, 28x28 (28 -> 14 -> 7).
  for (const char* name : {"hs_resnet29_cifar", "resnet20_cifar"}) {
    INFO(name);
    auto model = create_model(name, {{"in_channels", 1}});
    REQUIRE(output_shape(*model, {2, 1, 28, 28}) == Shape{2, 10});
    auto hundred = create_model(name, {{"classes", 100}});
    REQUIRE(output_shape(*hundred, {1, 3, 8, 8}) == Shape{1, 100});
  }

  for (const char* name : {"hs_resnet50", "resnet50"}) {
    INFO(name);
    auto model = imagenet_model(name);
    REQUIRE(output_shape(*model, {1, 3, 64, 64}) == Shape{1, 1000});
  }
}

TEST_CASE("models: a training step reaches every parameter") {
  auto model = create_model("hs_resnet29_cifar", {{"s", 3}, {"w0", 2}});
  Generator gen(2);
  const Variable x(rand({2, 3, 16, 16}, gen, DType::f32, -1.0, 1.0));
  const Tensor labels = from_vector<std::int64_t>({3, 7});
  cross_entropy((*model)(x), labels).backward();
  for (const auto& [name, p] : model->named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    REQUIRE(p.grad().shape() == p.shape());
    const std::vector<float> g = p.grad().to_vector<float>();
    REQUIRE(std::any_of(g.begin(), g.end(), [](float v) { return v != 0; }));
  }
  // Training mode advanced every BN's counter once.
  for (const auto& [name, b] : model->named_buffers())
    if (name.find("num_batches_tracked") != std::string::npos) REQUIRE(b.item() == 1);
}

TEST_CASE("models: state-dict keys follow torchvision") {
  auto r50 = imagenet_model("resnet50");
  std::set<std::string> expected;
  auto bn = [&expected](const std::string& prefix) {
    for (const char* s : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
      expected.insert(prefix + "." + s);
  };
  expected.insert("conv1.weight");
  bn("bn1");
  for (int k = 0; k < 4; ++k) {
    for (int b = 0; b < kImagenetBlocks50[k]; ++b) {
      const std::string block = "layer" + std::to_string(k + 1) + "." + std::to_string(b);
      for (int i = 1; i <= 3; ++i) {
        expected.insert(block + ".conv" + std::to_string(i) + ".weight");
        bn(block + ".bn" + std::to_string(i));
      }
      if (b == 0) {
        expected.insert(block + ".downsample.0.weight");
        bn(block + ".downsample.1");
      }
    }
  }
  expected.insert("fc.weight");
  expected.insert("fc.bias");
  REQUIRE(expected.size() == 320);  // len(torchvision.models.resnet50().state_dict())
  REQUIRE(keys_of(*r50) == expected);
  REQUIRE(shape_of(*r50, "conv1.weight") == Shape{64, 3, 7, 7});
  REQUIRE(shape_of(*r50, "layer1.0.downsample.0.weight") == Shape{256, 64, 1, 1});
  REQUIRE(shape_of(*r50, "layer2.0.conv2.weight") == Shape{128, 128, 3, 3});
  REQUIRE(shape_of(*r50, "layer4.2.conv3.weight") == Shape{2048, 512, 1, 1});
  REQUIRE(shape_of(*r50, "fc.weight") == Shape{1000, 2048});

  auto hs29 = create_model("hs_resnet29_cifar");
  const std::set<std::string> keys = keys_of(*hs29);
  for (const char* key :
       {"conv1.weight", "bn1.running_var", "bn1.num_batches_tracked", "layer1.0.conv1.weight",
        "layer1.0.bn1.weight", "layer1.0.hs.convs.0.weight", "layer1.0.hs.convs.2.weight",
        "layer1.0.hs.bns.0.running_mean", "layer1.0.conv3.weight", "layer1.0.bn3.bias",
        "layer1.0.downsample.0.weight", "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.running_mean", "layer3.2.bn3.num_batches_tracked", "fc.weight",
        "fc.bias"}) {
    INFO(key);
    REQUIRE(keys.count(key));
  }
  REQUIRE_FALSE(keys.count("layer1.1.downsample.0.weight"));
  REQUIRE_FALSE(keys.count("layer1.0.hs.convs.3.weight"));
  REQUIRE(shape_of(*hs29, "layer1.0.hs.convs.0.weight") == Shape{8, 8, 3, 3});
  REQUIRE(shape_of(*hs29, "layer1.0.hs.convs.1.weight") == Shape{12, 12, 3, 3});
  REQUIRE(shape_of(*hs29, "layer2.0.hs.convs.1.weight") == Shape{16, 16, 3, 3});  // stride 2
  REQUIRE(shape_of(*hs29, "layer3.0.conv1.weight") == Shape{128, 128, 1, 1});
  REQUIRE(shape_of(*hs29, "fc.weight") == Shape{10, 256});

  auto plain = imagenet_model("hs_resnet50", {{"downsample_block", "plain"}});
  const std::set<std::string> plain_keys = keys_of(*plain);
  REQUIRE(plain_keys.count("layer2.0.conv2.0.weight"));
  REQUIRE(plain_keys.count("layer2.0.conv2.1.running_var"));
  REQUIRE(shape_of(*plain, "layer2.0.conv2.0.weight") == Shape{128, 128, 3, 3});
  REQUIRE(plain_keys.count("layer2.1.hs.convs.0.weight"));
  REQUIRE(plain_keys.count("layer1.0.hs.convs.0.weight"));  // stride 1 keeps the HS block
  for (const std::string& k : plain_keys) REQUIRE(k.rfind("layer2.0.hs.", 0) != 0);
  auto stage = imagenet_model("hs_resnet50");
  REQUIRE(shape_of(*stage, "layer2.0.hs.convs.0.weight") == Shape{16, 16, 3, 3});
  REQUIRE_FALSE(keys_of(*stage).count("layer2.0.conv2.0.weight"));
}

TEST_CASE("models: registry names and options") {
  const std::vector<std::string> names = model_names();
  for (const char* name :
       {"hs_resnet29_cifar", "hs_resnet56_cifar", "hs_resnet110_cifar", "hs_resnet164_cifar",
        "hs_resnet50", "hs_resnet101", "hs_resnet152", "resnet20_cifar", "resnet32_cifar",
        "resnet44_cifar", "resnet56_cifar", "resnet110_cifar", "resnet50"}) {
    INFO(name);
    REQUIRE(std::find(names.begin(), names.end(), name) != names.end());
  }
  REQUIRE(model_option_names("resnet50") == std::vector<std::string>{"classes", "in_channels"});
  const auto hs_opts = model_option_names("hs_resnet50");
  REQUIRE(std::find(hs_opts.begin(), hs_opts.end(), "downsample_block") != hs_opts.end());
  const auto cifar_opts = model_option_names("hs_resnet29_cifar");
  REQUIRE(std::find(cifar_opts.begin(), cifar_opts.end(), "w0") != cifar_opts.end());
  // A null option object means the defaults.
  REQUIRE(create_model("resnet20_cifar", json())->num_parameters() == 272474);
}

TEST_CASE("models: registry errors name the valid choices") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(create_model("resnet18"),
                      Contains("unknown model 'resnet18'") && Contains("hs_resnet29_cifar") &&
                          Contains("resnet110_cifar") && Contains("resnet50"));
  REQUIRE_THROWS_WITH(model_option_names("hsnet"), Contains("unknown model 'hsnet'"));

  REQUIRE_THROWS_WITH(create_model("resnet20_cifar", {{"s", 4}}),
                      Contains("unknown option 's'") && Contains("classes, in_channels"));
  REQUIRE_THROWS_WITH(
      create_model("hs_resnet29_cifar", {{"downsample_block", "plain"}}),
      Contains("unknown option 'downsample_block'") && Contains("w0") && Contains("carry_leading"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet50", {{"w0", 8}}),
                      Contains("unknown option 'w0'") && Contains("base_width"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", json::array({1, 2})),
                      Contains("must be a JSON object"));

  // Wrong types.
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"s", "four"}}),
                      Contains("'s'") && Contains("integer"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"s", 4.5}}), Contains("integer"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"w0", true}}),
                      Contains("'w0'") && Contains("integer"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"ratio", "half"}}),
                      Contains("'ratio'") && Contains("number"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"carry_leading", 1}}),
                      Contains("'carry_leading'") && Contains("true or false"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet50", {{"downsample_block", "fancy"}}),
                      Contains("\"stage\" or \"plain\""));
  REQUIRE_THROWS_WITH(create_model("resnet50", {{"classes", "ten"}}),
                      Contains("'classes'") && Contains("integer"));

  // Out of range.
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"s", 1}}),
                      Contains("'s'") && Contains(">= 2"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"w0", 0}}),
                      Contains("'w0'") && Contains(">= 1"));
  for (double r : {1.0, -0.25, 3.0}) {
    INFO(r);
    REQUIRE_THROWS_WITH(create_model("hs_resnet29_cifar", {{"ratio", r}}),
                        Contains("ratio") && Contains("[0, 1)"));
  }
  REQUIRE_THROWS_WITH(create_model("resnet20_cifar", {{"classes", 0}}), Contains(">= 1"));
  REQUIRE_THROWS_WITH(create_model("resnet20_cifar", {{"in_channels", -3}}), Contains(">= 1"));
  REQUIRE_THROWS_WITH(create_model("hs_resnet50", {{"s", 5}}),
                      Contains("hs_resnet50") && Contains("not divisible by s=5"));

  // The skeletons check their depths.
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"depth", 30}}), Contains("9n+2"));
  REQUIRE_THROWS_WITH(create_model("cifar_resnet", {{"block", "basic"}, {"depth", 21}}),
                      Contains("6n+2"));
  REQUIRE_THROWS_WITH(create_model("imagenet_resnet", {{"depth", 34}}), Contains("50, 101 or 152"));
  REQUIRE_THROWS_WITH(create_model("imagenet_resnet", {{"block", "basic"}, {"depth", 50}}),
                      Contains("18 or 34"));
}

TEST_CASE("models: input errors") {
  auto model = create_model("resnet20_cifar");
  Generator gen(3);
  REQUIRE_THROWS_WITH((*model)(Variable(rand({3, 32, 32}, gen))), Catch::Contains("[N,C,H,W]"));
  REQUIRE_THROWS_AS((*model)(Variable(rand({1, 1, 32, 32}, gen))), hs::Error);
}
