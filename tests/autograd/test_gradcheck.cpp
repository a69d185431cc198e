// gradcheck itself: it passes correct gradients, fails a wrong one, perturbs inputs in
// place (closures see it), handles strided inputs, reports per input, and rejects
// inputs it cannot check.
#include <catch2/catch.hpp>
#include <memory>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "autograd_test_util.h"
#include "ops/elementwise.h"

using namespace hs;
using namespace hs::test;

namespace {

// Forward x*x, with a backward that forgets the factor 2: a deliberate bug.
class WrongSquareBackward : public Node {
 public:
  explicit WrongSquareBackward(Tensor x) : x_(std::move(x)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::mul(grads[0], x_)};
  }
  std::string name() const override { return "WrongSquareBackward"; }

 private:
  Tensor x_;
};

Variable wrong_square(const Variable& x) {
  Tensor out = ops::mul(x.data(), x.data());
  if (!needs_grad(x)) return Variable(out);
  return record(std::make_shared<WrongSquareBackward>(x.data()), out, x);
}

}  // namespace

TEST_CASE("gradcheck passes a correct gradient and reports each checked input") {
  Generator gen(51);
  Variable a(uniform64({2, 3}, gen), true);
  Variable frozen(uniform64({2, 3}, gen), false);
  Variable b(uniform64({3}, gen), true);
  const GradcheckResult r = gradcheck(
      [](const std::vector<Variable>& in) { return in[0] * in[1] + exp(in[2]); }, {a, frozen, b});
  INFO(r.report());
  REQUIRE(r.ok);
  REQUIRE(r.inputs.size() == 2);
  REQUIRE(r.inputs[0].index == 0);
  REQUIRE(r.inputs[1].index == 2);
  REQUIRE(r.inputs[1].shape == Shape{3});
  REQUIRE(r.inputs[0].max_abs_error < 1e-8);
  REQUIRE_THAT(r.report(), Catch::Contains("passed") && Catch::Contains("[2,3]"));
}

TEST_CASE("gradcheck fails a wrong gradient") {
  Generator gen(52);
  Variable x(uniform64({2, 2}, gen, 0.5, 1.5), true);
  Variable y(uniform64({2}, gen), true);
  const GradcheckResult r = gradcheck(
      [](const std::vector<Variable>& in) { return wrong_square(in[0]) + in[1]; }, {x, y});
  REQUIRE_FALSE(r.ok);
  REQUIRE_FALSE(r.inputs[0].ok);
  REQUIRE(r.inputs[1].ok);  // the correct part of the graph still checks out
  REQUIRE(r.inputs[0].max_abs_error > 1e-3);
  REQUIRE(r.inputs[0].max_rel_error == Approx(0.5).epsilon(1e-4));
  REQUIRE_THAT(r.report(), Catch::Contains("FAILED") && Catch::Contains("NO"));
}

TEST_CASE("gradcheck fails a gradient that is missing altogether") {
  Generator gen(53);
  Variable x(uniform64({3}, gen), true);
  // detach cuts the graph: the analytic gradient is zero, the numeric one is not.
  const GradcheckResult r =
      gradcheck([](const std::vector<Variable>& in) { return in[0].detach() * 2.0; }, {x});
  REQUIRE_FALSE(r.ok);
}

TEST_CASE("gradcheck perturbs the inputs' own storage, so captured variables see it") {
  Generator gen(54);
  Variable w(uniform64({3}, gen), true);
  Variable x(uniform64({3}, gen), true);
  // The closure ignores its argument list and uses the captured w.
  const GradcheckResult r =
      gradcheck([w](const std::vector<Variable>& in) { return w * w * in[1]; }, {w, x});
  INFO(r.report());
  REQUIRE(r.ok);
  REQUIRE(r.inputs[0].max_abs_error < 1e-8);
}

TEST_CASE("gradcheck leaves the inputs' data and previous gradients as they were") {
  Generator gen(55);
  const Tensor values = uniform64({2, 3}, gen);
  Variable x(transposed_copy(values), true);
  Tensor previous = full({2, 3}, 7.0, DType::f64);
  x.set_grad(previous);
  require_gradcheck([](const std::vector<Variable>& in) { return tanh(in[0]); }, {x});
  require_values(x.data(), values, 0.0);
  REQUIRE(x.grad().shares_storage_with(previous));
  require_values(x.grad(), std::vector<double>(6, 7.0));
}

TEST_CASE("gradcheck handles a scalar output and a 0-d input") {
  Generator gen(56);
  Variable x(uniform64({}, gen), true);
  Variable y(uniform64({4}, gen), true);
  require_gradcheck([](const std::vector<Variable>& in) { return sum(in[1] * in[0]); }, {x, y});
}

TEST_CASE("gradcheck rejects inputs it cannot check") {
  Variable f32(ones({2}), true);
  auto identity = [](const std::vector<Variable>& in) { return in[0] * 1.0; };
  REQUIRE_THROWS_AS(gradcheck(identity, {f32}), Error);
  REQUIRE_THROWS_WITH(gradcheck(identity, {f32}), Catch::Contains("gradcheck") &&
                                                      Catch::Contains("f64") &&
                                                      Catch::Contains("f32"));

  Variable leaf(ones({2}, DType::f64), true);
  Variable computed = leaf * 2.0;
  REQUIRE_THROWS_WITH(gradcheck(identity, {computed}),
                      Catch::Contains("gradcheck") && Catch::Contains("leaf"));

  Variable frozen(ones({2}, DType::f64), false);
  REQUIRE_THROWS_WITH(gradcheck(identity, {frozen}),
                      Catch::Contains("gradcheck") && Catch::Contains("requires grad"));
}
