// Gradients through the model code in f64 with BN in training mode: HSBottleneck (identity
// and projection shortcuts, stage and plain strided blocks) checked in full for the input
// and every parameter, and a small HS-ResNet end to end.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/gradcheck.h"
#include "models/blocks.h"
#include "models/skeleton.h"
#include "nn/init.h"

using namespace hs;
using namespace hs::models;

namespace {

// gradcheck of module(x) with respect to x and the parameters `names` (all when empty).
void require_module_gradcheck(nn::Module& module, const Shape& input,
                              const std::vector<std::string>& names = {}) {
  Generator gen(3);
  std::vector<Variable> inputs = {Variable(rand(input, gen, DType::f64, -1.0, 1.0), true)};
  std::vector<std::string> checked = {"input"};
  for (auto& [name, p] : module.named_parameters()) {
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end()) continue;
    inputs.push_back(p);
    checked.push_back(name);
  }
  REQUIRE(checked.size() == (names.empty() ? module.parameters().size() : names.size()) + 1);
  const GradcheckResult result =
      gradcheck([&module](const std::vector<Variable>& in) { return module(in[0]); }, inputs);
  INFO(result.report());
  REQUIRE(result.inputs.size() == checked.size());
  for (const GradcheckInputReport& r : result.inputs) {
    INFO(checked[r.index]);
    CHECK(r.ok);
  }
  REQUIRE(result.ok);
}

// Central differences on `count` elements of parameter p (chosen with gen), against the
// analytic gradient of L = sum(module(x) * v), for tensors too large to check element by
// element within the time budget.
void require_sampled_gradient(nn::Module& module, const Variable& x, const Tensor& v,
                              const std::string& name, const Variable& p, int count,
                              Generator& gen) {
  module.zero_grad();
  module(x).backward(v);
  const std::vector<double> analytic = p.grad().to_vector<double>();
  const std::vector<double> vv = v.to_vector<double>();
  auto project = [&] {
    NoGradGuard no_grad;
    const std::vector<double> y = module(x).data().to_vector<double>();
    double total = 0;
    for (std::size_t i = 0; i < y.size(); ++i) total += y[i] * vv[i];
    return total;
  };
  double* data = p.data().data<double>();
  REQUIRE(p.data().is_contiguous());
  const double eps = 1e-6;
  for (int k = 0; k < count; ++k) {
    const std::int64_t e = static_cast<std::int64_t>(gen.below(p.numel()));
    const double original = data[e];
    data[e] = original + eps;
    const double plus = project();
    data[e] = original - eps;
    const double minus = project();
    data[e] = original;
    const double numeric = (plus - minus) / (2 * eps);
    INFO(name << " element " << e << ": analytic " << analytic[e] << ", numeric " << numeric);
    REQUIRE(std::abs(analytic[e] - numeric) <= 1e-5 + 1e-3 * std::abs(numeric));
  }
}

HSBottleneckOptions bottleneck(std::int64_t in, std::int64_t planes, std::int64_t stride,
                               std::vector<std::int64_t> widths, double r, bool leading,
                               bool plain) {
  HSBottleneckOptions o;
  o.in = in;
  o.planes = planes;
  o.stride = stride;
  o.hs.widths = std::move(widths);
  o.hs.carry_ratio = r;
  o.hs.carry_leading = leading;
  o.plain_downsample = plain;
  return o;
}

}  // namespace

TEST_CASE("HSBottleneck gradcheck: stride 1, identity shortcut") {
  nn::manual_seed(1);
  HSBottleneck block(bottleneck(8, 2, 1, {2, 2, 2}, 0.5, false, false));
  block.to(DType::f64);
  REQUIRE(block.named_children().size() == 5);  // no downsample: in == 4·planes
  require_module_gradcheck(block, {2, 8, 4, 4});
}

TEST_CASE("HSBottleneck gradcheck: leading carry, uneven widths") {
  nn::manual_seed(2);
  HSBottleneck block(bottleneck(8, 2, 1, {1, 3, 2}, 0.75, true, false));
  block.to(DType::f64);
  require_module_gradcheck(block, {2, 8, 4, 4});
}

TEST_CASE("HSBottleneck gradcheck: stride 2, projection shortcut") {
  nn::manual_seed(3);
  HSBottleneck block(bottleneck(4, 2, 2, {2, 2, 2}, 0.5, false, false));
  block.to(DType::f64);
  REQUIRE(block.named_children().back().first == "downsample");
  require_module_gradcheck(block, {2, 4, 5, 5});
}

TEST_CASE("HSBottleneck gradcheck: stride 2 with the plain strided conv") {
  nn::manual_seed(4);
  HSBottleneck block(bottleneck(4, 2, 2, {2, 2}, 0.5, false, true));
  block.to(DType::f64);
  REQUIRE(block.named_children()[2].first == "conv2");
  require_module_gradcheck(block, {2, 4, 6, 6});
}

TEST_CASE("small HS-ResNet gradcheck: input and every parameter") {
  // hs_resnet11_cifar (one HS bottleneck per stage) with s=3, w0=2, r=0.5 and 3 classes: every
  // stage's HS block has a carry path (floor(0.5·w) >= 1 for w = 2, 4, 8). Every BN's gamma
  // and beta (and fc's bias: every 1-D parameter) are drawn away from 1 and 0, so a backward
  // that ignored them, or mixed up the two, shows. A full check costs two forwards per
  // element, so the input and every parameter tensor of up to 1200 elements go through
  // gradcheck element by element, and the larger ones through 12 sampled elements each.
  ModelOptions o;
  o.depth = 11;
  o.s = 3;
  o.w0 = 2;
  o.ratio = 0.5;
  o.classes = 3;
  nn::manual_seed(5);
  auto net = cifar_resnet(o);
  net->to(DType::f64);
  Generator affine_gen(7);
  int affine = 0;
  for (auto& [name, p] : net->named_parameters()) {
    if (p.dim() != 1) continue;
    const bool gamma = name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
    Tensor data = p.data();
    data.copy_(rand(p.shape(), affine_gen, DType::f64, gamma ? 0.5 : -0.5, gamma ? 1.5 : 0.5));
    ++affine;
  }
  REQUIRE(affine > 20);

  std::vector<std::string> small;
  std::vector<std::pair<std::string, Variable>> large;
  for (auto& [name, p] : net->named_parameters()) {
    if (p.numel() <= 1200)
      small.push_back(name);
    else
      large.emplace_back(name, p);
  }
  INFO(net->num_parameters() << " parameters, " << large.size() << " sampled tensors");
  REQUIRE(!large.empty());
  require_module_gradcheck(*net, {2, 3, 8, 8}, small);

  Generator gen(6);
  const Variable x(rand({2, 3, 8, 8}, gen, DType::f64, -1.0, 1.0));
  const Tensor v = randn({2, 3}, gen, DType::f64);
  for (auto& [name, p] : large) require_sampled_gradient(*net, x, v, name, p, 12, gen);
}
