// Batch norm folded into the convolutions of every model family (Module::fold_batch_norms):
// with batch-norm statistics and affine parameters drawn away from the identity, the folded
// model's logits equal the unfolded model's to 1e-5 of the largest logit, every batch norm
// of the model is folded, and the folded model refuses to train.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "models/registry.h"
#include "nn/batch_norm.h"
#include "nn/init.h"

using namespace hs;
using namespace hs::models;
using nlohmann::json;

namespace {

// Running statistics and affine parameters of every batch norm drawn at random, as a trained
// model has them (folding the initial identity statistics would test little).
void randomise_batch_norms(nn::Module& model, Generator& gen) {
  nn::StateDict state = model.state_dict();  // shares storage with the model
  for (const auto& [path, m] : model.named_modules()) {
    const auto* bn = dynamic_cast<const nn::BatchNorm2d*>(m);
    if (!bn) continue;
    const std::int64_t c = bn->running_mean.numel();
    state.at(nn::join_name(path, "weight")).copy_(rand({c}, gen, {}, 0.5, 1.5));
    state.at(nn::join_name(path, "bias")).copy_(rand({c}, gen, {}, -0.5, 0.5));
    state.at(nn::join_name(path, "running_mean")).copy_(rand({c}, gen, {}, -0.5, 0.5));
    state.at(nn::join_name(path, "running_var")).copy_(rand({c}, gen, {}, 0.5, 2.0));
  }
}

std::vector<float> logits_of(nn::Module& model, const Tensor& x) {
  NoGradGuard no_grad;
  const Tensor y = model(Variable(x)).data().contiguous();
  return {y.data<float>(), y.data<float>() + y.numel()};
}

}  // namespace

TEST_CASE("fold_batch_norms: folded logits equal unfolded ones for every model family") {
  struct Case {
    std::string name;
    json options;
  };
  const std::vector<Case> cases = {
      {"hs_resnet29_cifar", {{"s", 3}, {"ratio", 0.5}}},
      {"hs_resnet50", json::object()},
      {"hs_resnet50", {{"downsample_block", "plain"}}},
      {"resnet20_cifar", json::object()},
      {"resnet50", json::object()},
      {"res2net29_cifar", json::object()},
      {"res2next50", json::object()},
      {"skresnet29_cifar", json::object()},
      {"skresnext50_32x4d", json::object()},
  };
  for (const Case& c : cases) {
    SECTION(c.name + " " + c.options.dump()) {
      nn::manual_seed(1);
      auto model = create_model(c.name, c.options);
      Generator gen(2);
      randomise_batch_norms(*model, gen);
      const Tensor x = randn({2, 3, 32, 32}, gen);
      model->eval();
      const std::vector<float> before = logits_of(*model, x);
      model->fold_batch_norms();
      for (const auto& [path, m] : model->named_modules())
        if (const auto* bn = dynamic_cast<const nn::BatchNorm2d*>(m)) {
          INFO(path);
          REQUIRE(bn->folded_into_conv());
        }
      const std::vector<float> after = logits_of(*model, x);
      REQUIRE(after.size() == before.size());
      double largest = 0, diff = 0;
      for (std::size_t i = 0; i < before.size(); ++i) {
        largest = std::max(largest, std::abs(double{before[i]}));
        diff = std::max(diff, std::abs(double{before[i]} - after[i]));
      }
      INFO("max |difference| " << diff << ", max |logit| " << largest);
      REQUIRE(largest > 0);
      REQUIRE(diff <= 1e-5 * largest);
      REQUIRE_THROWS_WITH(model->train(), Catch::Contains("cannot train"));
    }
  }
}
