// Module: parameter / buffer / module names and order, train and eval, zero_grad, state
// dicts (shared storage, strict loading that leaves the module unchanged on error), dtype
// conversion, the printed tree, initialisation statistics and seeded reproducibility.
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/module.h"
#include "nn/sequential.h"

using namespace hs;
using namespace hs::nn;

namespace {

// conv -> bn -> flatten -> head (Linear, ReLU, Linear), scaled by an own parameter.
class TinyNet : public Module {
 public:
  TinyNet() {
    scale = Variable(ones({1}));
    register_parameter("scale", &scale);
    Conv2dOptions c;
    c.in_channels = 3;
    c.out_channels = 4;
    c.kernel_size = 3;
    c.padding = 1;
    c.bias = true;
    conv = register_module("conv", std::make_shared<Conv2d>(c));
    bn = register_module("bn", std::make_shared<BatchNorm2d>(4));
    head = register_module("head",
                           std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                               std::make_shared<Flatten>(), std::make_shared<Linear>(4 * 3 * 3, 5),
                               std::make_shared<ReLU>(), std::make_shared<Linear>(5, 2)}));
  }
  std::string type_name() const override { return "TinyNet"; }
  Variable forward(const Variable& x) override { return mul((*head)((*bn)((*conv)(x))), scale); }

  Variable scale;
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  std::shared_ptr<Sequential> head;
};

template <class Pairs>
std::vector<std::string> names_of(const Pairs& pairs) {
  std::vector<std::string> out;
  for (const auto& item : pairs) out.push_back(item.first);
  return out;
}

std::vector<double> values(const Tensor& t) { return t.to_vector<double>(); }

// Every state-dict entry's values, in key order.
std::vector<std::vector<double>> snapshot(const Module& m) {
  std::vector<std::vector<double>> out;
  for (const auto& [name, t] : m.state_dict()) out.push_back(values(t));
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / v.size();
}

double std_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / v.size());
}

const std::vector<std::string> kParamNames = {"scale",       "conv.weight",   "conv.bias",
                                              "bn.weight",   "bn.bias",       "head.1.weight",
                                              "head.1.bias", "head.3.weight", "head.3.bias"};

}  // namespace

TEST_CASE("Module: parameter, buffer, child and module names in registration order") {
  TinyNet net;
  REQUIRE(names_of(net.named_parameters()) == kParamNames);
  REQUIRE(names_of(net.named_parameters(false)) == std::vector<std::string>{"scale"});
  REQUIRE(names_of(net.named_buffers()) ==
          std::vector<std::string>{"bn.running_mean", "bn.running_var", "bn.num_batches_tracked"});
  REQUIRE(net.named_buffers(false).empty());
  REQUIRE(names_of(net.named_children()) == std::vector<std::string>{"conv", "bn", "head"});
  REQUIRE(names_of(net.named_modules()) == std::vector<std::string>{"", "conv", "bn", "head",
                                                                    "head.0", "head.1", "head.2",
                                                                    "head.3"});
  REQUIRE(net.named_modules()[0].second == &net);
  REQUIRE(net.named_modules()[2].second == net.bn.get());

  // The named variables are the module's own (same handle), and all require grad.
  const auto params = net.named_parameters();
  REQUIRE(params[1].second.same(net.conv->weight));
  for (const auto& [name, p] : params) {
    INFO(name);
    REQUIRE(p.requires_grad());
    REQUIRE(p.is_leaf());
  }
  REQUIRE(net.parameters().size() == kParamNames.size());
  // 1 + (4·3·9 + 4) + (4 + 4) + (36·5 + 5) + (5·2 + 2)
  REQUIRE(net.num_parameters() == 1 + 112 + 8 + 185 + 12);
  REQUIRE(net.bn->num_parameters() == 8);
}

TEST_CASE("Module: train() and eval() reach every descendant") {
  TinyNet net;
  for (const auto& [name, m] : net.named_modules()) REQUIRE(m->is_training());
  net.eval();
  for (const auto& [name, m] : net.named_modules()) {
    INFO(name);
    REQUIRE_FALSE(m->is_training());
  }
  net.train();
  for (const auto& [name, m] : net.named_modules()) REQUIRE(m->is_training());
  net.head->train(false);
  REQUIRE(net.is_training());
  REQUIRE_FALSE(net.head->at<Linear>(1).is_training());
  REQUIRE(net.conv->is_training());
}

TEST_CASE("Module: zero_grad drops every gradient") {
  TinyNet net;
  Generator gen(1);
  sum(net(Variable(rand({2, 3, 3, 3}, gen)))).backward();
  for (const auto& [name, p] : net.named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
  }
  net.zero_grad();
  for (const auto& [name, p] : net.named_parameters()) {
    INFO(name);
    REQUIRE_FALSE(p.grad().defined());
  }
}

TEST_CASE("Module: state_dict holds parameters and buffers sharing storage") {
  TinyNet net;
  StateDict state = net.state_dict();
  REQUIRE(state.size() == kParamNames.size() + 3);
  for (const std::string& name : kParamNames) REQUIRE(state.count(name));
  REQUIRE(state.count("bn.running_var"));
  REQUIRE(state.at("conv.weight").shares_storage_with(net.conv->weight.data()));
  REQUIRE(state.at("bn.running_mean").shares_storage_with(net.bn->running_mean));
  state.at("conv.bias").fill_(2.5);
  state.at("bn.running_var").fill_(4.0);
  REQUIRE(values(net.conv->bias.data()) == std::vector<double>(4, 2.5));
  REQUIRE(values(net.bn->running_var) == std::vector<double>(4, 4.0));
}

TEST_CASE("Module: load_state_dict copies every entry") {
  manual_seed(1);
  TinyNet source;
  source.bn->running_mean.fill_(0.25);
  source.bn->num_batches_tracked.fill_(7);
  manual_seed(2);
  TinyNet target;
  REQUIRE(snapshot(source) != snapshot(target));
  target.load_state_dict(source.state_dict());
  REQUIRE(snapshot(source) == snapshot(target));
  // Copied, not aliased.
  REQUIRE_FALSE(target.conv->weight.data().shares_storage_with(source.conv->weight.data()));
  REQUIRE(target.bn->num_batches_tracked.item() == 7);
}

TEST_CASE("Module: a failed load_state_dict names the key and changes nothing") {
  using Catch::Contains;
  manual_seed(3);
  TinyNet net;
  const auto before = snapshot(net);
  manual_seed(4);
  TinyNet other;

  // Clones of other's state: every entry differs from net's, so a partial copy would show.
  auto fresh = [&other] {
    StateDict s;
    for (const auto& [k, v] : other.state_dict()) s[k] = v.clone();
    return s;
  };

  StateDict missing = fresh();
  missing.erase("head.3.bias");
  REQUIRE_THROWS_WITH(net.load_state_dict(missing), Contains("load_state_dict") &&
                                                        Contains("missing") &&
                                                        Contains("'head.3.bias'"));
  REQUIRE(snapshot(net) == before);

  StateDict unexpected = fresh();
  unexpected["head.4.weight"] = zeros({2, 2});
  REQUIRE_THROWS_WITH(net.load_state_dict(unexpected),
                      Contains("unexpected") && Contains("'head.4.weight'"));
  REQUIRE(snapshot(net) == before);

  StateDict wrong_shape = fresh();
  wrong_shape["head.3.weight"] = zeros({5, 2});
  REQUIRE_THROWS_WITH(net.load_state_dict(wrong_shape),
                      Contains("'head.3.weight'") && Contains("[5,2]") && Contains("[2,5]"));
  REQUIRE(snapshot(net) == before);

  StateDict wrong_kind = fresh();
  wrong_kind["bn.num_batches_tracked"] = zeros(Shape{}, DType::f32);
  REQUIRE_THROWS_WITH(net.load_state_dict(wrong_kind),
                      Contains("'bn.num_batches_tracked'") && Contains("dtype"));
  wrong_kind = fresh();
  wrong_kind["conv.weight"] = zeros({4, 3, 3, 3}, DType::i64);
  REQUIRE_THROWS_WITH(net.load_state_dict(wrong_kind), Contains("'conv.weight'"));
  REQUIRE(snapshot(net) == before);

  StateDict undefined = fresh();
  undefined["scale"] = Tensor();
  REQUIRE_THROWS_WITH(net.load_state_dict(undefined), Contains("'scale'"));
  REQUIRE(snapshot(net) == before);
}

TEST_CASE("Module: to(DType) converts floating parameters and buffers") {
  manual_seed(5);
  TinyNet net;
  Generator gen(2);
  sum(net(Variable(rand({2, 3, 3, 3}, gen)))).backward();
  const auto before = snapshot(net);
  net.to(DType::f64);
  for (const auto& [name, p] : net.named_parameters()) {
    INFO(name);
    REQUIRE(p.dtype() == DType::f64);
    REQUIRE(p.requires_grad());
    REQUIRE_FALSE(p.grad().defined());
  }
  REQUIRE(net.bn->running_mean.dtype() == DType::f64);
  REQUIRE(net.bn->running_var.dtype() == DType::f64);
  REQUIRE(net.bn->num_batches_tracked.dtype() == DType::i64);
  REQUIRE(snapshot(net) == before);  // f32 values are exact in f64
  const Variable y = net(Variable(rand({2, 3, 3, 3}, gen, DType::f64)));
  REQUIRE(y.dtype() == DType::f64);
  REQUIRE(y.shape() == Shape{2, 2});
  REQUIRE_THROWS_WITH(net.to(DType::i64), Catch::Contains("floating"));
  REQUIRE(net.conv->weight.dtype() == DType::f64);
}

TEST_CASE("Module: str() prints the tree with each module's configuration") {
  TinyNet net;
  REQUIRE(net.str() ==
          "TinyNet\n"
          "  (conv): Conv2d(3, 4, kernel_size=3, stride=1, padding=1)\n"
          "  (bn): BatchNorm2d(4, eps=1e-05, momentum=0.1)\n"
          "  (head): Sequential\n"
          "    (0): Flatten\n"
          "    (1): Linear(in_features=36, out_features=5)\n"
          "    (2): ReLU\n"
          "    (3): Linear(in_features=5, out_features=2)\n");
}

TEST_CASE("Module: registering an undefined parameter or a null child is an error") {
  struct BadParameter : Module {
    BadParameter() { register_parameter("w", &w); }
    std::string type_name() const override { return "BadParameter"; }
    Variable forward(const Variable& x) override { return x; }
    Variable w;
  };
  struct BadChild : Module {
    BadChild() { register_module("child", std::shared_ptr<Linear>()); }
    std::string type_name() const override { return "BadChild"; }
    Variable forward(const Variable& x) override { return x; }
  };
  REQUIRE_THROWS_WITH(BadParameter(), Catch::Contains("BadParameter") && Catch::Contains("'w'"));
  REQUIRE_THROWS_WITH(BadChild(), Catch::Contains("BadChild") && Catch::Contains("'child'"));
}

TEST_CASE("init: Kaiming normal (fan_out) for convolutions") {
  manual_seed(11);
  Conv2dOptions o;
  o.in_channels = 64;
  o.out_channels = 128;
  o.kernel_size = 3;
  Conv2d conv(o);
  const std::vector<double> w = values(conv.weight.data());
  REQUIRE(w.size() == 128 * 64 * 9);
  const double expected_std = std::sqrt(2.0 / (128 * 9));
  // 73728 samples: the sample std is within ~0.3% of σ, the mean within ~0.004 σ.
  REQUIRE(std_of(w) == Approx(expected_std).epsilon(0.02));
  REQUIRE(std::abs(mean_of(w)) < 0.02 * expected_std);
  // Normal, not uniform: a fair share of samples lies beyond 2σ (4.6% for a normal).
  std::size_t beyond = 0;
  for (double x : w) beyond += std::abs(x) > 2 * expected_std;
  REQUIRE(beyond > 0.04 * w.size());
  REQUIRE(beyond < 0.052 * w.size());
  REQUIRE_FALSE(conv.bias.defined());

  o.bias = true;
  o.groups = 4;
  Conv2d grouped(o);
  REQUIRE(grouped.weight.shape() == Shape{128, 16, 3, 3});
  REQUIRE(values(grouped.bias.data()) == std::vector<double>(128, 0.0));
}

TEST_CASE("init: Linear uniform in ±1/sqrt(in), BatchNorm γ=1 β=0") {
  manual_seed(12);
  Linear fc(400, 300);
  const double bound = 1.0 / std::sqrt(400.0);
  const std::vector<double> w = values(fc.weight.data());
  double lo = 1, hi = -1;
  for (double x : w) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  REQUIRE(lo >= -bound);
  REQUIRE(hi < bound);
  REQUIRE(lo < -0.99 * bound);
  REQUIRE(hi > 0.99 * bound);
  REQUIRE(std_of(w) == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  for (double x : values(fc.bias.data())) REQUIRE(std::abs(x) <= bound);
  REQUIRE(std_of(values(fc.bias.data())) > 0.3 * bound);

  BatchNorm2d bn(6);
  REQUIRE(values(bn.weight.data()) == std::vector<double>(6, 1.0));
  REQUIRE(values(bn.bias.data()) == std::vector<double>(6, 0.0));
  REQUIRE(values(bn.running_mean) == std::vector<double>(6, 0.0));
  REQUIRE(values(bn.running_var) == std::vector<double>(6, 1.0));
  REQUIRE(bn.num_batches_tracked.dim() == 0);
  REQUIRE(bn.num_batches_tracked.dtype() == DType::i64);
  REQUIRE(bn.num_batches_tracked.item() == 0);
}

TEST_CASE("init: manual_seed makes construction reproducible") {
  manual_seed(99);
  TinyNet a;
  manual_seed(99);
  TinyNet b;
  REQUIRE(snapshot(a) == snapshot(b));
  TinyNet c;  // the generator moved on
  REQUIRE(snapshot(a) != snapshot(c));
  manual_seed(100);
  TinyNet d;
  REQUIRE(values(a.conv->weight.data()) != values(d.conv->weight.data()));
}
