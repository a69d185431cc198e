// matmul, 2-D and batched 3-D: forward against a naive triple loop (contiguous and
// transposed operands), f64 gradient checks, and which operands get a gradient.
#include <catch2/catch.hpp>

#include "autograd/functions.h"
#include "autograd_test_util.h"
#include "test_util/reference_matmul.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("matmul: forward matches a naive loop") {
  Generator gen(41);
  for (const Shape& batch : {Shape{}, Shape{3}}) {
    Shape sa = batch, sb = batch;
    for (std::int64_t e : {4, 5}) sa.push_back(e);
    for (std::int64_t e : {5, 2}) sb.push_back(e);
    INFO("a " << sa << " b " << sb);
    const Tensor a = uniform64(sa, gen), b = uniform64(sb, gen);
    Shape sc = batch;
    for (std::int64_t e : {4, 2}) sc.push_back(e);
    const Tensor expected = from_vector(reference_matmul(a, b), sc);
    require_values(matmul(Variable(a), Variable(b)).data(), expected, 1e-13);
    require_values(matmul(Variable(transposed_copy(a)), Variable(transposed_copy(b))).data(),
                   expected, 1e-13);
    require_values(matmul(Variable(spread_copy(a)), Variable(b)).data(), expected, 1e-13);
  }
}

TEST_CASE("matmul: gradients pass gradcheck") {
  Generator gen(42);
  auto fn = [](const std::vector<Variable>& in) { return matmul(in[0], in[1]); };
  SECTION("2-D") {
    Variable a(uniform64({3, 4}, gen), true), b(uniform64({4, 2}, gen), true);
    require_gradcheck(fn, {a, b});
  }
  SECTION("2-D transposed operands") {
    Variable a(transposed_copy(uniform64({3, 4}, gen)), true);
    Variable b(transposed_copy(uniform64({4, 2}, gen)), true);
    require_gradcheck(fn, {a, b});
  }
  SECTION("3-D") {
    Variable a(uniform64({2, 3, 4}, gen), true), b(uniform64({2, 4, 5}, gen), true);
    require_gradcheck(fn, {a, b});
  }
  SECTION("3-D strided operands") {
    Variable a(spread_copy(uniform64({2, 3, 4}, gen)), true);
    Variable b(transposed_copy(uniform64({2, 4, 5}, gen)), true);
    require_gradcheck(fn, {a, b});
  }
  SECTION("only one operand requires grad") {
    Variable a(uniform64({3, 4}, gen), true), b(uniform64({4, 2}, gen), false);
    require_gradcheck(fn, {a, b});
    Variable c(uniform64({3, 4}, gen), false), d(uniform64({4, 2}, gen), true);
    require_gradcheck(fn, {c, d});
    REQUIRE_FALSE(c.grad().defined());
  }
  SECTION("a chain with a reduction before it") {
    Variable a(uniform64({3, 4}, gen), true), b(uniform64({4, 2}, gen), true);
    require_gradcheck(
        [](const std::vector<Variable>& in) {
          return sum(matmul(tanh(matmul(in[0], in[1])), transpose(in[1], 0, 1)));
        },
        {a, b});
  }
}

TEST_CASE("matmul: mismatched inner dims are an error") {
  Variable a(ones({3, 4}), true), b(ones({3, 2}), true);
  REQUIRE_THROWS_AS(matmul(a, b), Error);
}
