// Optimizers: SGD (plain, momentum, dampening, Nesterov, weight decay, no decay for 1-D
// parameters) and AdamW over several steps against references written here from the
// formulas in plain doubles; skipped parameters, in-place updates, state-dict round trips
// (also through a safetensors file), strict loading, option validation, and SGD minimising
// a quadratic through autograd.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "autograd/functions.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "nn/adamw.h"
#include "nn/linear.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"
#include "test_util/temp_dir.h"

using namespace hs;
using namespace hs::nn;
using Catch::Contains;

namespace {

using Values = std::vector<double>;

// The test problem: a weight [2, 3] (decayed) and a bias [3] (1-D, exempt with
// no_decay_bn_and_bias), with seeded initial values.
const std::vector<Shape> kShapes = {{2, 3}, {3}};
const std::vector<std::string> kNames = {"fc.weight", "fc.bias"};

Values seeded_values(std::uint64_t seed, std::int64_t n) {
  Generator gen(seed);
  Values v(static_cast<std::size_t>(n));
  for (double& x : v) x = gen.normal();
  return v;
}

Values initial_values(std::size_t k) { return seeded_values(100 + k, kShapes[k].numel()); }

// The gradient of parameter k at step s: a fresh seeded draw for each (step, parameter).
Values grad_values(int step, std::size_t k) {
  return seeded_values(1000 * (step + 1) + k, kShapes[k].numel());
}

Tensor make_tensor(const Values& values, const Shape& shape, DType dtype) {
  return from_vector<double>(values, shape).to(dtype);
}

NamedParameters make_params(DType dtype) {
  NamedParameters params;
  for (std::size_t k = 0; k < kShapes.size(); ++k)
    params.emplace_back(kNames[k],
                        Variable(make_tensor(initial_values(k), kShapes[k], dtype), true));
  return params;
}

void require_close(const Values& actual, const Values& expected, double tol) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    REQUIRE(actual[i] == Approx(expected[i]).epsilon(tol).margin(tol));
}

// torch.optim.SGD's documented update for one parameter, in plain doubles.
struct ReferenceSgd {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  Values buf;

  void step(Values& p, const Values& grad) {
    Values d(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) d[i] = grad[i] + weight_decay * p[i];
    if (momentum != 0.0) {
      if (buf.empty()) {
        buf = d;
      } else {
        for (std::size_t i = 0; i < p.size(); ++i)
          buf[i] = momentum * buf[i] + (1.0 - dampening) * d[i];
      }
      for (std::size_t i = 0; i < p.size(); ++i)
        d[i] = nesterov ? d[i] + momentum * buf[i] : buf[i];
    }
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= lr * d[i];
  }
};

// torch.optim.AdamW's documented update for one parameter, with bias-corrected moments.
struct ReferenceAdamW {
  double lr, beta1, beta2, eps, weight_decay;
  Values m, v;
  int t = 0;

  void step(Values& p, const Values& grad) {
    if (m.empty()) m.assign(p.size(), 0.0), v.assign(p.size(), 0.0);
    ++t;
    for (std::size_t i = 0; i < p.size(); ++i) {
      p[i] -= lr * weight_decay * p[i];
      m[i] = beta1 * m[i] + (1.0 - beta1) * grad[i];
      v[i] = beta2 * v[i] + (1.0 - beta2) * grad[i] * grad[i];
      const double m_hat = m[i] / (1.0 - std::pow(beta1, t));
      const double v_hat = v[i] / (1.0 - std::pow(beta2, t));
      p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
    }
  }
};

// Runs `steps` steps of `opt` and of one reference per parameter (refs[k] for parameter k)
// on the same gradients, comparing the parameters after each step.
template <class Reference>
void run_against_reference(Optimizer& opt, NamedParameters& params, std::vector<Reference>& refs,
                           DType dtype, int steps, double tol) {
  std::vector<Values> expected;
  for (std::size_t k = 0; k < params.size(); ++k) expected.push_back(initial_values(k));
  for (int s = 0; s < steps; ++s) {
    for (std::size_t k = 0; k < params.size(); ++k) {
      const Values g = grad_values(s, k);
      params[k].second.set_grad(make_tensor(g, kShapes[k], dtype));
      refs[k].step(expected[k], g);
    }
    opt.step();
    for (std::size_t k = 0; k < params.size(); ++k)
      require_close(params[k].second.data().to_vector<double>(), expected[k], tol);
  }
  REQUIRE(opt.step_count() == steps);
}

void check_sgd(const SgdOptions& o, DType dtype = DType::f64, double tol = 1e-13) {
  NamedParameters params = make_params(dtype);
  SGD opt(params, o);
  std::vector<ReferenceSgd> refs;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const bool exempt = o.no_decay_bn_and_bias && kShapes[k].size() == 1;
    refs.push_back({o.lr, o.momentum, o.dampening, exempt ? 0.0 : o.weight_decay, o.nesterov, {}});
  }
  run_against_reference(opt, params, refs, dtype, 5, tol);
}

void check_adamw(const AdamWOptions& o, DType dtype = DType::f64, double tol = 1e-13) {
  NamedParameters params = make_params(dtype);
  AdamW opt(params, o);
  std::vector<ReferenceAdamW> refs;
  for (std::size_t k = 0; k < params.size(); ++k) {
    const bool exempt = o.no_decay_bn_and_bias && kShapes[k].size() == 1;
    refs.push_back({o.lr, o.beta1, o.beta2, o.eps, exempt ? 0.0 : o.weight_decay, {}, {}, 0});
  }
  run_against_reference(opt, params, refs, dtype, 5, tol);
}

// Sets the same seeded gradients of step `s` on both parameter lists.
void set_grads(NamedParameters& params, int s) {
  for (std::size_t k = 0; k < params.size(); ++k)
    params[k].second.set_grad(make_tensor(grad_values(s, k), kShapes[k], params[k].second.dtype()));
}

// A fresh parameter list holding copies of `params`' current values.
NamedParameters clone_params(const NamedParameters& params) {
  NamedParameters out;
  for (const auto& [name, p] : params) out.emplace_back(name, Variable(p.data().clone(), true));
  return out;
}

// Values of every tensor of a state dict, for checking that a failed load changed nothing.
std::vector<Values> snapshot(const StateDict& state) {
  std::vector<Values> out;
  for (const auto& [key, t] : state) out.push_back(t.to_vector<double>());
  return out;
}

}  // namespace

TEST_CASE("SGD matches torch.optim.SGD's formulas", "[optim][sgd]") {
  SECTION("plain") { check_sgd({.lr = 0.1}); }
  SECTION("momentum") { check_sgd({.lr = 0.05, .momentum = 0.9}); }
  SECTION("momentum with dampening") { check_sgd({.lr = 0.05, .momentum = 0.9, .dampening = 0.3}); }
  SECTION("nesterov") { check_sgd({.lr = 0.05, .momentum = 0.8, .nesterov = true}); }
  SECTION("weight decay without momentum") { check_sgd({.lr = 0.1, .weight_decay = 0.01}); }
  SECTION("weight decay with nesterov momentum") {
    check_sgd({.lr = 0.1, .momentum = 0.9, .nesterov = true, .weight_decay = 5e-4});
  }
  SECTION("no weight decay for 1-D parameters") {
    check_sgd({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.05, .no_decay_bn_and_bias = true});
  }
  SECTION("f32") {
    check_sgd({.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-3}, DType::f32,
              1e-5);
  }
}

TEST_CASE("SGD puts 1-D parameters in a group without weight decay", "[optim][sgd]") {
  NamedParameters params = make_params(DType::f64);
  SGD exempting(params, {.lr = 0.1, .weight_decay = 0.01, .no_decay_bn_and_bias = true});
  REQUIRE(exempting.param_groups().size() == 2);
  REQUIRE(exempting.param_groups()[0].names == std::vector<std::string>{"fc.weight"});
  REQUIRE(exempting.param_groups()[0].weight_decay == 0.01);
  REQUIRE(exempting.param_groups()[1].names == std::vector<std::string>{"fc.bias"});
  REQUIRE(exempting.param_groups()[1].weight_decay == 0.0);

  SGD plain(params, {.lr = 0.1, .weight_decay = 0.01});
  REQUIRE(plain.param_groups().size() == 1);
  REQUIRE(plain.param_groups()[0].names.size() == 2);
}

TEST_CASE("AdamW matches torch.optim.AdamW's formulas", "[optim][adamw]") {
  SECTION("defaults") { check_adamw({}); }
  SECTION("large learning rate and weight decay") {
    check_adamw({.lr = 0.05, .beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.1});
  }
  SECTION("no weight decay") { check_adamw({.lr = 0.01, .weight_decay = 0.0}); }
  SECTION("no weight decay for 1-D parameters") {
    check_adamw({.lr = 0.01, .weight_decay = 0.2, .no_decay_bn_and_bias = true});
  }
  SECTION("beta1 zero") { check_adamw({.lr = 0.01, .beta1 = 0.0}); }
  SECTION("f32") { check_adamw({.lr = 0.01, .weight_decay = 0.05}, DType::f32, 1e-5); }
}

TEST_CASE("set_lr changes the rate of the next step in every group", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  SGD opt(params, {.lr = 0.1, .weight_decay = 0.01, .no_decay_bn_and_bias = true});
  REQUIRE(opt.lr() == 0.1);
  opt.set_lr(0.025);
  REQUIRE(opt.lr() == 0.025);
  for (const ParamGroup& group : opt.param_groups()) REQUIRE(group.lr == 0.025);

  set_grads(params, 0);
  opt.step();
  std::vector<ReferenceSgd> refs = {{0.025, 0.0, 0.0, 0.01, false, {}},
                                    {0.025, 0.0, 0.0, 0.0, false, {}}};
  for (std::size_t k = 0; k < params.size(); ++k) {
    Values expected = initial_values(k);
    refs[k].step(expected, grad_values(0, k));
    require_close(params[k].second.data().to_vector<double>(), expected, 1e-14);
  }
  opt.set_lr(0.0);  // a schedule may end at zero
  REQUIRE(opt.lr() == 0.0);
  REQUIRE_THROWS_WITH(opt.set_lr(-0.1), Contains("sgd") && Contains("lr") && Contains("-0.1"));
  REQUIRE_THROWS_AS(opt.set_lr(std::numeric_limits<double>::infinity()), Error);
}

TEST_CASE("parameters without a gradient are not touched", "[optim]") {
  SECTION("sgd with momentum and weight decay") {
    NamedParameters params = make_params(DType::f64);
    SGD opt(params, {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1});
    params[0].second.set_grad(make_tensor(grad_values(0, 0), kShapes[0], DType::f64));
    opt.step();
    opt.step();
    REQUIRE(params[1].second.data().to_vector<double>() == initial_values(1));
    REQUIRE(params[0].second.data().to_vector<double>() != initial_values(0));
    const StateDict state = opt.state_dict();
    REQUIRE(state.count("momentum_buffer.fc.weight"));
    REQUIRE_FALSE(state.count("momentum_buffer.fc.bias"));
  }
  SECTION("adamw keeps a bias correction per parameter") {
    // The bias gets no gradient at step 0, so its own step count (1, 2) drives its bias
    // correction at steps 1 and 2, as in PyTorch.
    NamedParameters params = make_params(DType::f64);
    const AdamWOptions o{.lr = 0.01, .weight_decay = 0.1};
    AdamW opt(params, o);
    std::vector<ReferenceAdamW> refs(2, {o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, {}, {}, 0});
    std::vector<Values> expected = {initial_values(0), initial_values(1)};
    for (int s = 0; s < 3; ++s) {
      for (std::size_t k = 0; k < 2; ++k) {
        if (s == 0 && k == 1) continue;
        params[k].second.set_grad(make_tensor(grad_values(s, k), kShapes[k], DType::f64));
        refs[k].step(expected[k], grad_values(s, k));
      }
      opt.step();
      if (s == 0) REQUIRE(params[1].second.data().to_vector<double>() == initial_values(1));
    }
    for (std::size_t k = 0; k < 2; ++k)
      require_close(params[k].second.data().to_vector<double>(), expected[k], 1e-13);
    const StateDict state = opt.state_dict();
    REQUIRE(state.at("step").item<std::int64_t>() == 3);
    REQUIRE(state.at("step.fc.weight").item<std::int64_t>() == 3);
    REQUIRE(state.at("step.fc.bias").item<std::int64_t>() == 2);
  }
}

TEST_CASE("zero_grad drops every gradient", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  SGD opt(params, {.lr = 0.1});
  set_grads(params, 0);
  opt.zero_grad();
  for (const auto& [name, p] : params) REQUIRE_FALSE(p.grad().defined());
  opt.step();  // nothing to update
  for (std::size_t k = 0; k < params.size(); ++k)
    REQUIRE(params[k].second.data().to_vector<double>() == initial_values(k));
}

TEST_CASE("step updates the module's parameter tensors in place", "[optim]") {
  Linear linear(3, 2);
  const NamedParameters params = linear.named_parameters();
  const Tensor weight_before = linear.weight.data();
  const Values weight_values = weight_before.to_vector<double>();
  const void* weight_ptr = weight_before.data_ptr();
  const void* bias_ptr = linear.bias.data().data_ptr();

  SGD sgd(params, {.lr = 0.1, .momentum = 0.9});
  AdamW adamw(params, {.lr = 0.01});
  for (Optimizer* opt : {static_cast<Optimizer*>(&sgd), static_cast<Optimizer*>(&adamw)}) {
    linear.weight.set_grad(ones({2, 3}));
    linear.bias.set_grad(ones({2}));
    opt->step();
  }
  REQUIRE(linear.weight.data().data_ptr() == weight_ptr);
  REQUIRE(linear.bias.data().data_ptr() == bias_ptr);
  REQUIRE(linear.weight.data().shares_storage_with(weight_before));
  REQUIRE(linear.state_dict().at("weight").data_ptr() == weight_ptr);
  // The tensor held before the steps sees the new values.
  REQUIRE(weight_before.to_vector<double>() != weight_values);
}

TEST_CASE("a strided parameter is updated through its own storage", "[optim]") {
  // The parameter is a transposed view; the update must land in the base tensor.
  const Values values = seeded_values(5, 6);
  const Tensor base = from_vector<double>(values, Shape{2, 3});
  Variable p(base.transpose(0, 1), true);  // [3, 2], not contiguous
  const Values g = seeded_values(6, 6);
  p.set_grad(from_vector<double>(g, Shape{3, 2}));
  SGD opt({{"p", p}}, {.lr = 0.5});
  opt.step();
  REQUIRE(p.data().shares_storage_with(base));
  // base[i][j] is p[j][i]; the gradient is given in p's (transposed) order.
  const Values updated = base.to_vector<double>();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      REQUIRE(updated[i * 3 + j] == Approx(values[i * 3 + j] - 0.5 * g[j * 2 + i]).epsilon(1e-15));
}

TEST_CASE("a restored optimizer continues exactly like the original", "[optim]") {
  // Optimizer A runs 3 steps; B, fresh over copies of A's parameters, loads A's state; both
  // run 2 more steps on the same gradients and must agree exactly.
  auto check_round_trip = [](auto make_optimizer, bool through_file) {
    NamedParameters params_a = make_params(DType::f64);
    auto a = make_optimizer(params_a);
    for (int s = 0; s < 3; ++s) {
      set_grads(params_a, s);
      a->step();
    }
    StateDict state = a->state_dict();
    if (through_file) {
      const hs::test::TempDir dir("hsnet-test-optim");
      const std::string path = dir.file("state.safetensors");
      write_safetensors(path, state);
      state = read_safetensors(path).tensors;
    }
    NamedParameters params_b = clone_params(params_a);
    auto b = make_optimizer(params_b);
    b->load_state_dict(state);
    REQUIRE(b->step_count() == 3);
    for (int s = 3; s < 5; ++s) {
      set_grads(params_a, s);
      set_grads(params_b, s);
      a->step();
      b->step();
    }
    for (std::size_t k = 0; k < params_a.size(); ++k)
      REQUIRE(params_b[k].second.data().to_vector<double>() ==
              params_a[k].second.data().to_vector<double>());
    REQUIRE(b->step_count() == 5);
  };
  auto make_sgd = [](const NamedParameters& p) {
    return std::make_unique<SGD>(
        p, SgdOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.2, .weight_decay = 0.01});
  };
  auto make_adamw = [](const NamedParameters& p) {
    return std::make_unique<AdamW>(p, AdamWOptions{.lr = 0.01, .weight_decay = 0.05});
  };
  SECTION("sgd") { check_round_trip(make_sgd, false); }
  SECTION("adamw") { check_round_trip(make_adamw, false); }
  SECTION("sgd through a safetensors file") { check_round_trip(make_sgd, true); }
  SECTION("adamw through a safetensors file") { check_round_trip(make_adamw, true); }
}

TEST_CASE("loading a state matters: a fresh optimizer diverges", "[optim]") {
  // Guards the round-trip test above: skipping load_state_dict must change the result.
  NamedParameters params_a = make_params(DType::f64);
  SGD a(params_a, {.lr = 0.05, .momentum = 0.9});
  for (int s = 0; s < 3; ++s) {
    set_grads(params_a, s);
    a.step();
  }
  NamedParameters params_b = clone_params(params_a);
  SGD b(params_b, {.lr = 0.05, .momentum = 0.9});
  set_grads(params_a, 3);
  set_grads(params_b, 3);
  a.step();
  b.step();
  REQUIRE(params_b[0].second.data().to_vector<double>() !=
          params_a[0].second.data().to_vector<double>());
}

TEST_CASE("state_dict holds the documented keys", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  SGD sgd(params, {.lr = 0.1, .momentum = 0.9});
  StateDict fresh = sgd.state_dict();
  REQUIRE(fresh.size() == 1);
  REQUIRE(fresh.at("step").dim() == 0);
  REQUIRE(fresh.at("step").dtype() == DType::i64);
  REQUIRE(fresh.at("step").item<std::int64_t>() == 0);

  set_grads(params, 0);
  sgd.step();
  StateDict state = sgd.state_dict();
  REQUIRE(state.size() == 3);
  REQUIRE(state.at("momentum_buffer.fc.weight").shape() == kShapes[0]);
  REQUIRE(state.at("momentum_buffer.fc.bias").shape() == kShapes[1]);
  // The first momentum buffer is the gradient itself (no weight decay here).
  REQUIRE(state.at("momentum_buffer.fc.bias").to_vector<double>() == grad_values(0, 1));

  SGD no_momentum(params, {.lr = 0.1});
  no_momentum.step();
  REQUIRE(no_momentum.state_dict().size() == 1);

  AdamW adamw(params, {});
  adamw.step();
  std::vector<std::string> keys;
  for (const auto& [key, t] : adamw.state_dict()) keys.push_back(key);
  REQUIRE(keys == std::vector<std::string>{"exp_avg.fc.bias", "exp_avg.fc.weight",
                                           "exp_avg_sq.fc.bias", "exp_avg_sq.fc.weight", "step",
                                           "step.fc.bias", "step.fc.weight"});
}

TEST_CASE("load_state_dict rejects bad dicts and changes nothing", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  AdamW opt(params, {.lr = 0.01});
  for (int s = 0; s < 2; ++s) {
    set_grads(params, s);
    opt.step();
  }
  const StateDict good = opt.state_dict();
  const std::vector<Values> before = snapshot(good);
  auto cloned = [&good] {
    StateDict copy;
    for (const auto& [key, t] : good) copy[key] = t.clone();
    return copy;
  };
  auto require_unchanged = [&] {
    REQUIRE(opt.step_count() == 2);
    REQUIRE(snapshot(opt.state_dict()) == before);
  };

  SECTION("missing step") {
    StateDict bad = cloned();
    bad.erase("step");
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad),
                        Contains("adamw") && Contains("missing key 'step'"));
  }
  SECTION("step of the wrong kind") {
    StateDict bad = cloned();
    bad["step"] = scalar_tensor(2.0, DType::f32);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'step'") && Contains("0-d i64"));
    bad["step"] = full({1}, 2.0, DType::i64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'step'") && Contains("0-d i64"));
    bad["step"] = scalar_tensor(-1.0, DType::i64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'step'") && Contains("-1"));
  }
  SECTION("a parameter's step count below 1") {
    StateDict bad = cloned();
    bad["step.fc.bias"] = scalar_tensor(0.0, DType::i64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'step.fc.bias'"));
  }
  SECTION("partial state of a parameter") {
    StateDict bad = cloned();
    bad.erase("exp_avg_sq.fc.weight");
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("missing key 'exp_avg_sq.fc.weight'"));
  }
  SECTION("unexpected keys") {
    StateDict bad = cloned();
    bad["exp_avg.fc.other"] = zeros({3}, DType::f64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("unexpected key 'exp_avg.fc.other'"));
    bad = cloned();
    bad["momentum_buffer.fc.bias"] = zeros({3}, DType::f64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad),
                        Contains("unexpected key 'momentum_buffer.fc.bias'"));
    bad = cloned();
    bad["nodot"] = zeros({3}, DType::f64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("unexpected key 'nodot'"));
  }
  SECTION("mis-shaped buffer of the last parameter, after valid ones") {
    StateDict bad = cloned();
    bad["exp_avg_sq.fc.bias"] = zeros({4}, DType::f64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad),
                        Contains("'exp_avg_sq.fc.bias'") && Contains("[4]") && Contains("[3]"));
    bad = cloned();
    bad["exp_avg.fc.weight"] = zeros({3, 2}, DType::f64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad),
                        Contains("'exp_avg.fc.weight'") && Contains("[3,2]") && Contains("[2,3]"));
  }
  SECTION("integer buffer") {
    StateDict bad = cloned();
    bad["exp_avg.fc.bias"] = zeros({3}, DType::i64);
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'exp_avg.fc.bias'") && Contains("i64"));
  }
  SECTION("undefined buffer") {
    StateDict bad = cloned();
    bad["exp_avg.fc.bias"] = Tensor();
    REQUIRE_THROWS_WITH(opt.load_state_dict(bad), Contains("'exp_avg.fc.bias'"));
  }
  SECTION("an SGD state") {
    SGD sgd(params, {.lr = 0.1, .momentum = 0.9});
    sgd.step();
    REQUIRE_THROWS_WITH(opt.load_state_dict(sgd.state_dict()), Contains("unexpected key"));
  }
  require_unchanged();

  // A dict that fails must not have been half-applied: loading the good one still works and
  // gives back the same state.
  opt.load_state_dict(cloned());
  require_unchanged();
}

TEST_CASE("a loaded state is copied, not shared with the dict", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  SGD a(params, {.lr = 0.1, .momentum = 0.9});
  set_grads(params, 0);
  a.step();
  StateDict state = a.state_dict();
  const Values saved = state.at("momentum_buffer.fc.weight").to_vector<double>();
  NamedParameters params_b = clone_params(params);
  SGD b(params_b, {.lr = 0.1, .momentum = 0.9});
  b.load_state_dict(state);
  set_grads(params_b, 1);
  b.step();
  // state shares storage with a (documented), which has not stepped again; b's step must not
  // have written into it.
  REQUIRE(state.at("momentum_buffer.fc.weight").to_vector<double>() == saved);
}

TEST_CASE("optimizer options are validated", "[optim]") {
  const NamedParameters params = make_params(DType::f64);
  const double nan = std::nan("");
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.0}), Contains("sgd") && Contains("lr") && Contains("0"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = -0.5}), Contains("sgd: lr") && Contains("-0.5"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = nan}), Contains("sgd: lr"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.1, .momentum = -0.9}),
                      Contains("sgd: momentum") && Contains("-0.9"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.1, .weight_decay = -1e-4}),
                      Contains("sgd: weight_decay") && Contains("-0.0001"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.1, .nesterov = true}),
                      Contains("sgd: nesterov") && Contains("momentum 0"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                      Contains("sgd: nesterov") && Contains("dampening 0.1"));
  REQUIRE_THROWS_WITH(SGD(params, {.lr = 0.1, .dampening = nan}), Contains("sgd: dampening"));

  REQUIRE_THROWS_WITH(AdamW(params, {.lr = 0.0}), Contains("adamw: lr"));
  REQUIRE_THROWS_WITH(AdamW(params, {.lr = -1.0}), Contains("adamw: lr") && Contains("-1"));
  REQUIRE_THROWS_WITH(AdamW(params, {.beta1 = 1.0}), Contains("adamw: beta1") && Contains("1"));
  REQUIRE_THROWS_WITH(AdamW(params, {.beta1 = -0.1}), Contains("adamw: beta1") && Contains("-0.1"));
  REQUIRE_THROWS_WITH(AdamW(params, {.beta2 = 1.0}), Contains("adamw: beta2"));
  REQUIRE_THROWS_WITH(AdamW(params, {.beta2 = 1.5}), Contains("adamw: beta2") && Contains("1.5"));
  REQUIRE_THROWS_WITH(AdamW(params, {.eps = 0.0}), Contains("adamw: eps"));
  REQUIRE_THROWS_WITH(AdamW(params, {.eps = -1e-8}), Contains("adamw: eps") && Contains("-1e-08"));
  REQUIRE_THROWS_WITH(AdamW(params, {.weight_decay = -0.01}),
                      Contains("adamw: weight_decay") && Contains("-0.01"));
}

TEST_CASE("optimizer parameters are validated", "[optim]") {
  REQUIRE_THROWS_WITH(SGD(NamedParameters{}, {.lr = 0.1}), Contains("sgd: no parameters"));
  NamedParameters params = make_params(DType::f64);
  NamedParameters duplicated = {params[0], params[0]};
  REQUIRE_THROWS_WITH(AdamW(duplicated),
                      Contains("adamw") && Contains("'fc.weight'") && Contains("twice"));
  NamedParameters undefined = {{"w", Variable()}};
  REQUIRE_THROWS_WITH(SGD(undefined, {.lr = 0.1}), Contains("'w'") && Contains("undefined"));
  Variable computed = params[0].second * 2.0;
  REQUIRE_THROWS_WITH(SGD({{"w2", computed}}, {.lr = 0.1}), Contains("'w2'") && Contains("leaf"));
  NamedParameters integer = {{"i", Variable(zeros({2}, DType::i64))}};
  REQUIRE_THROWS_WITH(SGD(integer, {.lr = 0.1}), Contains("'i'") && Contains("i64"));
}

TEST_CASE("step rejects a gradient of another dtype before updating anything", "[optim]") {
  NamedParameters params = make_params(DType::f64);
  SGD opt(params, {.lr = 0.1, .momentum = 0.9});
  params[0].second.set_grad(make_tensor(grad_values(0, 0), kShapes[0], DType::f64));
  params[1].second.set_grad(make_tensor(grad_values(0, 1), kShapes[1], DType::f32));
  REQUIRE_THROWS_WITH(opt.step(), Contains("sgd") && Contains("'fc.bias'") && Contains("f32"));
  for (std::size_t k = 0; k < params.size(); ++k)
    REQUIRE(params[k].second.data().to_vector<double>() == initial_values(k));
  REQUIRE(opt.step_count() == 0);
  REQUIRE(opt.state_dict().size() == 1);
}

TEST_CASE("step rejects state left behind by a dtype change", "[optim]") {
  Linear linear(3, 2);
  SGD opt(linear.named_parameters(), {.lr = 0.1, .momentum = 0.9});
  linear.weight.set_grad(ones({2, 3}));
  opt.step();
  linear.to(DType::f64);
  linear.weight.set_grad(ones({2, 3}, DType::f64));
  REQUIRE_THROWS_WITH(opt.step(), Contains("sgd") && Contains("'weight'") && Contains("state"));
}

TEST_CASE("SGD with momentum minimises a quadratic through autograd", "[optim]") {
  const Values target_values = {1.0, -2.0, 0.5, 3.0, -0.25};
  Variable w(zeros({5}, DType::f64), true);
  const Variable target(from_vector<double>(target_values));
  SGD opt({{"w", w}}, {.lr = 0.1, .momentum = 0.5});
  double loss_value = 0.0;
  for (int s = 0; s < 100; ++s) {
    opt.zero_grad();
    const Variable diff = w - target;
    const Variable loss = sum(diff * diff);
    loss_value = loss.item();
    loss.backward();
    opt.step();
  }
  REQUIRE(loss_value < 1e-12);
  const Values w_values = w.data().to_vector<double>();
  for (std::size_t i = 0; i < w_values.size(); ++i)
    REQUIRE(std::abs(w_values[i] - target_values[i]) < 1e-6);
}
