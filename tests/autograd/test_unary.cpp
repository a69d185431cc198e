// relu, exp, log, sigmoid, tanh: forward against std:: math on contiguous and strided
// inputs, f64 gradient checks, and what each node saves.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "autograd/functions.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

struct UnaryCase {
  std::string name;
  Variable (*fn)(const Variable&);
  double (*reference)(double);
  bool positive_only;  // log needs x > 0
};

const std::vector<UnaryCase>& cases() {
  static const std::vector<UnaryCase> all = {
      {"relu", [](const Variable& x) { return relu(x); }, [](double x) { return x > 0 ? x : 0.0; },
       false},
      {"exp", [](const Variable& x) { return exp(x); }, [](double x) { return std::exp(x); },
       false},
      {"log", [](const Variable& x) { return log(x); }, [](double x) { return std::log(x); }, true},
      {"sigmoid", [](const Variable& x) { return sigmoid(x); },
       [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, false},
      {"tanh", [](const Variable& x) { return tanh(x); }, [](double x) { return std::tanh(x); },
       false},
  };
  return all;
}

// Inputs kept 0.2 away from relu's kink so central differences are exact there.
Tensor input_for(const UnaryCase& c, const Shape& shape, Generator& gen) {
  return c.positive_only ? uniform64(shape, gen, 0.3, 2.0) : away_from_zero64(shape, gen, 0.2, 2.0);
}

}  // namespace

TEST_CASE("unary functions: forward matches std:: math") {
  Generator gen(11);
  for (const UnaryCase& c : cases()) {
    INFO(c.name);
    const Tensor x = input_for(c, {3, 5}, gen);
    for (const Tensor& layout : {x, spread_copy(x), transposed_copy(x)}) {
      const Variable out = c.fn(Variable(layout));
      REQUIRE(out.shape() == Shape{3, 5});
      std::vector<double> expected;
      for (double v : x.to_vector<double>()) expected.push_back(c.reference(v));
      require_values(out.data(), expected, 1e-14);
    }
  }
}

TEST_CASE("unary functions: gradients pass gradcheck") {
  Generator gen(12);
  for (const UnaryCase& c : cases()) {
    INFO(c.name);
    auto fn = c.fn;
    Variable x(input_for(c, {3, 4}, gen), true);
    require_gradcheck([fn](const std::vector<Variable>& in) { return fn(in[0]); }, {x});
    Variable strided(transposed_copy(input_for(c, {2, 3}, gen)), true);
    require_gradcheck([fn](const std::vector<Variable>& in) { return fn(in[0]); }, {strided});
    Variable scalar(input_for(c, {}, gen), true);
    require_gradcheck([fn](const std::vector<Variable>& in) { return fn(in[0]); }, {scalar});
  }
}

TEST_CASE("unary functions: composed chains pass gradcheck") {
  Generator gen(13);
  Variable x(away_from_zero64({4, 3}, gen), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) {
        return log(sigmoid(in[0]) + 0.5) * tanh(exp(in[0] * 0.5)) + relu(in[0]);
      },
      {x});
}

TEST_CASE("unary functions: relu passes gradient only where the output is positive") {
  Variable x(from_vector<double>({-1.0, 2.0, -3.0, 4.0}), true);
  relu(x).backward(from_vector<double>({10.0, 20.0, 30.0, 40.0}));
  require_values(x.grad(), {0.0, 20.0, 0.0, 40.0});
}

TEST_CASE("unary functions: nodes are named and free their saved tensor") {
  Variable x(from_vector<double>({0.5, 1.5}), true);
  REQUIRE(relu(x).grad_fn()->name() == "ReluBackward");
  REQUIRE(exp(x).grad_fn()->name() == "ExpBackward");
  REQUIRE(log(x).grad_fn()->name() == "LogBackward");
  REQUIRE(sigmoid(x).grad_fn()->name() == "SigmoidBackward");
  REQUIRE(tanh(x).grad_fn()->name() == "TanhBackward");
  Variable loss = sum(log(x));
  loss.backward();
  require_values(x.grad(), {2.0, 1.0 / 1.5});
  REQUIRE_THROWS_WITH(loss.backward(), Catch::Contains("LogBackward"));
}
