// Binary arithmetic with broadcasting, scalar variants and neg: forward against naive
// loops (contiguous, non-contiguous, broadcast inputs) and f64 gradient checks.
#include <catch2/catch.hpp>

#include "autograd/functions.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

using BinaryFn = Variable (*)(const Variable&, const Variable&);

double reference(char op, double a, double b) {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

BinaryFn function_for(char op) {
  switch (op) {
    case '+':
      return [](const Variable& a, const Variable& b) { return a + b; };
    case '-':
      return [](const Variable& a, const Variable& b) { return a - b; };
    case '*':
      return [](const Variable& a, const Variable& b) { return a * b; };
    default:
      return [](const Variable& a, const Variable& b) { return a / b; };
  }
}

// Divisors stay in [0.5, 1.5] so the quotient is well conditioned.
Tensor operand(char op, bool is_b, const Shape& shape, Generator& gen) {
  return (op == '/' && is_b) ? uniform64(shape, gen, 0.5, 1.5) : uniform64(shape, gen);
}

void check_forward(char op, const Tensor& a, const Tensor& b) {
  const Variable out = function_for(op)(Variable(a), Variable(b));
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), "test");
  REQUIRE(out.shape() == shape);
  const std::vector<double> av = broadcast_values(a, shape), bv = broadcast_values(b, shape);
  std::vector<double> expected(av.size());
  for (std::size_t i = 0; i < av.size(); ++i) expected[i] = reference(op, av[i], bv[i]);
  require_values(out.data(), expected);
}

}  // namespace

TEST_CASE("binary ops: forward matches naive loops") {
  Generator gen(1);
  for (char op : {'+', '-', '*', '/'}) {
    INFO("op " << op);
    const Tensor a = operand(op, false, {2, 3, 4}, gen);
    const Tensor b = operand(op, true, {2, 3, 4}, gen);
    check_forward(op, a, b);
    check_forward(op, spread_copy(a), transposed_copy(b));
    check_forward(op, a, operand(op, true, {3, 1}, gen));
    check_forward(op, operand(op, false, {4}, gen), b);
    check_forward(op, operand(op, false, {2, 1, 4}, gen),
                  spread_copy(operand(op, true, {3, 1}, gen)));
  }
}

TEST_CASE("binary ops: gradients pass gradcheck, with broadcasting and strided inputs") {
  Generator gen(2);
  const std::vector<std::pair<Shape, Shape>> shape_pairs = {
      {{2, 3}, {2, 3}}, {{2, 3, 4}, {3, 1}}, {{4}, {2, 3, 4}}, {{2, 1, 4}, {3, 1}}, {{}, {2, 2}}};
  for (char op : {'+', '-', '*', '/'}) {
    for (const auto& [sa, sb] : shape_pairs) {
      INFO("op " << op << " shapes " << sa << " and " << sb);
      Variable a(operand(op, false, sa, gen), true);
      Variable b(operand(op, true, sb, gen), true);
      const BinaryFn f = function_for(op);
      require_gradcheck([f](const std::vector<Variable>& in) { return f(in[0], in[1]); }, {a, b});
    }
    INFO("op " << op << " with non-contiguous inputs");
    Variable a(spread_copy(operand(op, false, {3, 4}, gen)), true);
    Variable b(transposed_copy(operand(op, true, {3, 4}, gen)), true);
    const BinaryFn f = function_for(op);
    require_gradcheck([f](const std::vector<Variable>& in) { return f(in[0], in[1]); }, {a, b});
  }
}

TEST_CASE("binary ops: only the inputs that require grad get one") {
  Generator gen(3);
  for (char op : {'+', '-', '*', '/'}) {
    INFO("op " << op);
    const BinaryFn f = function_for(op);
    Variable a(operand(op, false, {2, 3}, gen), true);
    Variable b(operand(op, true, {3}, gen), false);
    require_gradcheck([f](const std::vector<Variable>& in) { return f(in[0], in[1]); }, {a, b});
    Variable c(operand(op, false, {3}, gen), false);
    Variable d(operand(op, true, {2, 3}, gen), true);
    require_gradcheck([f](const std::vector<Variable>& in) { return f(in[0], in[1]); }, {c, d});
    REQUIRE_FALSE(c.grad().defined());
  }
}

TEST_CASE("binary ops: shapes that do not broadcast are an error") {
  Variable a(ones({2, 3}), true), b(ones({4}), true);
  REQUIRE_THROWS_AS(a + b, Error);
  REQUIRE_THROWS_AS(a * b, Error);
}

TEST_CASE("scalar variants and neg: forward matches naive loops") {
  Generator gen(4);
  const Tensor x = spread_copy(uniform64({2, 3}, gen));
  const std::vector<double> v = x.to_vector<double>();
  const Variable xv(x);
  auto expect = [&](const Variable& out, auto f) {
    std::vector<double> expected;
    for (double e : v) expected.push_back(f(e));
    require_values(out.data(), expected);
  };
  expect(xv + 1.5, [](double e) { return e + 1.5; });
  expect(1.5 + xv, [](double e) { return e + 1.5; });
  expect(xv - 0.25, [](double e) { return e - 0.25; });
  expect(2.0 - xv, [](double e) { return 2.0 - e; });
  expect(xv * -3.0, [](double e) { return e * -3.0; });
  expect(0.5 * xv, [](double e) { return e * 0.5; });
  expect(xv / 4.0, [](double e) { return e / 4.0; });
  expect(-xv, [](double e) { return -e; });
  expect(neg(xv), [](double e) { return -e; });
}

TEST_CASE("scalar variants and neg: gradients pass gradcheck") {
  Generator gen(5);
  using Fn = Variable (*)(const Variable&);
  const std::vector<Fn> fns = {
      [](const Variable& x) { return x + 1.5; },  [](const Variable& x) { return 1.5 + x; },
      [](const Variable& x) { return x - 0.25; }, [](const Variable& x) { return 2.0 - x; },
      [](const Variable& x) { return x * -3.0; }, [](const Variable& x) { return 0.5 * x; },
      [](const Variable& x) { return x / 4.0; },  [](const Variable& x) { return -x; }};
  for (std::size_t i = 0; i < fns.size(); ++i) {
    INFO("function " << i);
    Variable x(spread_copy(uniform64({2, 3}, gen)), true);
    const Fn f = fns[i];
    require_gradcheck([f](const std::vector<Variable>& in) { return f(in[0]); }, {x});
  }
}

TEST_CASE("scalar variants record named nodes") {
  Variable x(ones({2}), true);
  REQUIRE((x + 1.0).grad_fn()->name() == "AddScalarBackward");
  REQUIRE((x - 1.0).grad_fn()->name() == "AddScalarBackward");
  REQUIRE((x * 2.0).grad_fn()->name() == "MulScalarBackward");
  REQUIRE((x / 2.0).grad_fn()->name() == "DivScalarBackward");
  REQUIRE((-x).grad_fn()->name() == "NegBackward");
  REQUIRE((x - x).grad_fn()->name() == "SubBackward");
  REQUIRE((x / x).grad_fn()->name() == "DivBackward");
}
