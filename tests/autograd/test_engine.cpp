// The backward engine: graph shapes (diamonds, shared sub-expressions, several roots),
// accumulation into leaves, retain_graph, and the errors of backward().
#include <catch2/catch.hpp>
#include <memory>

#include "autograd/engine.h"
#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd_test_util.h"

using namespace hs;
using hs::test::require_values;

namespace {

// Identity whose backward counts how often it runs.
class CountingIdentity : public Node {
 public:
  explicit CountingIdentity(int* runs) : runs_(runs) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    ++*runs_;
    return {std::move(grads[0])};
  }
  std::string name() const override { return "CountingIdentity"; }

 private:
  int* runs_;
};

Variable counted(const Variable& x, int* runs) {
  return record(std::make_shared<CountingIdentity>(runs), x.data(), x);
}

// Returns one gradient too many.
class BrokenArity : public Node {
 public:
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override { return {grads[0], grads[0]}; }
  std::string name() const override { return "BrokenArity"; }
};

Variable f64(std::vector<double> values, bool requires_grad = true) {
  return Variable(from_vector(values), requires_grad);
}

}  // namespace

TEST_CASE("diamond: y = x*x + x gives dy/dx = 2x + 1") {
  Variable x = f64({-1.5, 0.0, 2.0, 3.25});
  Variable y = x * x + x;
  y.backward(ones({4}, DType::f64));
  require_values(x.grad(), {-2.0, 1.0, 5.0, 7.5});
}

TEST_CASE("a tensor used by two branches gets the sum of both gradients") {
  Variable x = f64({1.0, 2.0, 3.0});
  Variable a = exp(x);
  Variable b = x * 3.0;
  Variable loss = sum(a * b);  // d/dx = e^x * 3x + e^x * 3
  loss.backward();
  std::vector<double> expected;
  for (double v : {1.0, 2.0, 3.0}) expected.push_back(std::exp(v) * 3 * v + std::exp(v) * 3);
  require_values(x.grad(), expected, 1e-12);
}

TEST_CASE("a shared sub-expression runs its node once, after all its consumers") {
  int runs = 0;
  Variable x = f64({1.0, -2.0});
  Variable shared = counted(x * 2.0, &runs);
  Variable z1 = shared * 3.0;
  Variable z2 = shared * shared;  // two edges from one node
  Variable z3 = exp(shared);
  Variable loss = sum(z1 + z2 + z3);
  loss.backward();
  REQUIRE(runs == 1);
  // d/dx = 2 * (3 + 2*s + e^s) with s = 2x.
  std::vector<double> expected;
  for (double v : {1.0, -2.0}) expected.push_back(2 * (3 + 4 * v + std::exp(2 * v)));
  require_values(x.grad(), expected, 1e-12);
}

TEST_CASE("each node runs once in a deep chain of repeated reuse") {
  // y_{k+1} = y_k + y_k doubles the count of paths at every level: 2^20 paths, 20 nodes.
  int runs = 0;
  Variable x = f64({1.0});
  Variable y = counted(x, &runs);
  for (int k = 0; k < 20; ++k) y = y + y;
  y.backward();
  REQUIRE(runs == 1);
  require_values(x.grad(), {1048576.0});
}

TEST_CASE("gradients accumulate over backward calls; retain_graph keeps saved tensors") {
  Variable x = f64({1.0, 2.0});
  Variable loss = sum(x * x);
  loss.backward(true);
  require_values(x.grad(), {2.0, 4.0});
  loss.backward(true);
  require_values(x.grad(), {4.0, 8.0});
  loss.backward();
  require_values(x.grad(), {6.0, 12.0});
  x.zero_grad();
  sum(x * 5.0).backward();
  require_values(x.grad(), {5.0, 5.0});
}

TEST_CASE("a second backward through freed saved tensors is an error") {
  Variable x = f64({1.0, 2.0});
  Variable loss = sum(x * x);
  loss.backward();
  REQUIRE_THROWS_AS(loss.backward(), Error);
  REQUIRE_THROWS_WITH(loss.backward(),
                      Catch::Contains("MulBackward") && Catch::Contains("retain_graph=true"));
}

TEST_CASE("nodes that save nothing may run again after release") {
  Variable x = f64({1.0, 2.0});
  Variable loss = sum(x + 1.0);
  loss.backward();
  loss.backward();
  require_values(x.grad(), {2.0, 2.0});
}

TEST_CASE("backward with an explicit gradient") {
  Variable x = f64({1.0, 2.0, 3.0});
  Variable y = x * x;
  Tensor g = from_vector<double>({1.0, 0.5, -2.0});
  y.backward(g);
  require_values(x.grad(), {2.0, 2.0, -12.0});
  require_values(g, {1.0, 0.5, -2.0});  // the caller's gradient is untouched
}

TEST_CASE("backward from a leaf copies the gradient into .grad") {
  Variable x = f64({1.0, 2.0});
  Tensor g = from_vector<double>({3.0, 4.0});
  x.backward(g);
  require_values(x.grad(), {3.0, 4.0});
  REQUIRE_FALSE(x.grad().shares_storage_with(g));
}

TEST_CASE("several roots in one backward; one root may depend on another") {
  Variable x = f64({1.0, 2.0});
  Variable y = x * x;
  Variable z = y * 3.0;
  run_backward({y, z}, {ones({2}, DType::f64), ones({2}, DType::f64)}, false);
  // d/dx of y + z = 2x + 6x.
  require_values(x.grad(), {8.0, 16.0});
}

TEST_CASE("the same root twice sums its gradients") {
  Variable x = f64({1.0, 2.0});
  Variable y = x * 2.0;
  run_backward({y, y}, {ones({2}, DType::f64), ones({2}, DType::f64)}, false);
  require_values(x.grad(), {4.0, 4.0});
}

TEST_CASE("a leaf's .grad never aliases another tensor") {
  SECTION("the same gradient reaching one leaf twice") {
    Variable x = f64({1.0, 2.0});
    Variable y = x + x;
    Tensor g = from_vector<double>({1.0, 1.0});
    y.backward(g);
    require_values(x.grad(), {2.0, 2.0});
    require_values(g, {1.0, 1.0});
    REQUIRE_FALSE(x.grad().shares_storage_with(g));
  }
  SECTION("views handed out by cat's backward") {
    Variable a = f64({1.0, 2.0});
    Variable b = f64({3.0});
    Variable c = cat({a, b}, 0);
    Tensor g = from_vector<double>({5.0, 6.0, 7.0});
    c.backward(g);
    require_values(a.grad(), {5.0, 6.0});
    require_values(b.grad(), {7.0});
    REQUIRE_FALSE(a.grad().shares_storage_with(g));
    REQUIRE_FALSE(b.grad().shares_storage_with(g));
    REQUIRE_FALSE(a.grad().shares_storage_with(b.grad()));
  }
  SECTION("the expanded gradient of a sum") {
    Variable x = f64({1.0, 2.0, 3.0});
    sum(x).backward();
    REQUIRE(x.grad().is_contiguous());
    x.grad().narrow(0, 0, 1).fill_(9.0);  // writing one element leaves the others alone
    require_values(x.grad(), {9.0, 1.0, 1.0});
  }
  SECTION("two leaves fed by one add") {
    Variable a = f64({1.0});
    Variable b = f64({2.0});
    (a + b).backward();
    REQUIRE_FALSE(a.grad().shares_storage_with(b.grad()));
    Tensor a_grad = a.grad();
    a_grad.fill_(5.0);
    require_values(b.grad(), {1.0});
  }
}

TEST_CASE("accumulating into an existing .grad adds in place") {
  Variable x = f64({1.0, 2.0});
  sum(x * 2.0).backward();
  const void* first = x.grad().data_ptr();
  sum(x * 3.0).backward();
  REQUIRE(x.grad().data_ptr() == first);
  require_values(x.grad(), {5.0, 5.0});
}

TEST_CASE("detached and no-grad branches get no gradient") {
  Variable x = f64({1.0, 2.0});
  Variable frozen;
  {
    NoGradGuard no_grad;
    frozen = x * 10.0;
  }
  REQUIRE(frozen.grad_fn() == nullptr);
  Variable loss = sum(x * frozen + x.detach() * x);
  loss.backward();
  // d/dx = frozen + detach(x) = 10x + x.
  require_values(x.grad(), {11.0, 22.0});
}

TEST_CASE("an input that does not require grad gets no gradient") {
  Variable x = f64({1.0, 2.0});
  Variable c = f64({3.0, 4.0}, false);
  sum(x * c).backward();
  require_values(x.grad(), {3.0, 4.0});
  REQUIRE_FALSE(c.grad().defined());
}

TEST_CASE("backward on a non-scalar output without a gradient is an error") {
  Variable x = f64({1.0, 2.0});
  Variable y = x * 2.0;
  REQUIRE_THROWS_AS(y.backward(), Error);
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("backward") && Catch::Contains("[2]"));
}

TEST_CASE("backward on a variable that does not require grad is an error") {
  Variable c = f64({1.0}, false);
  REQUIRE_THROWS_WITH(c.backward(),
                      Catch::Contains("backward") && Catch::Contains("does not require grad"));
  Variable x = f64({1.0});
  Variable y;
  {
    NoGradGuard no_grad;
    y = x * 2.0;
  }
  REQUIRE_THROWS_AS(y.backward(), Error);
}

TEST_CASE("an explicit gradient of the wrong shape, dtype or device is an error") {
  Variable x(ones({2, 3}, DType::f64), true);
  Variable y = x * 2.0;
  REQUIRE_THROWS_WITH(y.backward(ones({3, 2}, DType::f64)), Catch::Contains("backward") &&
                                                                Catch::Contains("[3,2]") &&
                                                                Catch::Contains("[2,3]"));
  REQUIRE_THROWS_WITH(y.backward(ones({2, 3}, DType::f32)), Catch::Contains("backward") &&
                                                                Catch::Contains("f32") &&
                                                                Catch::Contains("f64"));
  REQUIRE_THROWS_AS(y.backward(Tensor()), Error);
  REQUIRE_FALSE(x.grad().defined());
}

TEST_CASE("a node returning the wrong number of gradients is an error") {
  Variable x = f64({1.0});
  Variable y = record(std::make_shared<BrokenArity>(), x.data(), x);
  REQUIRE_THROWS_WITH(y.backward(), Catch::Contains("BrokenArity") && Catch::Contains("2"));
}

TEST_CASE("a graph outlives the temporaries that built it") {
  Variable x = f64({2.0});
  Variable loss = exp(x * 3.0) * 2.0;  // intermediate variables are gone
  loss.backward();
  require_values(x.grad(), {6.0 * std::exp(6.0)}, 1e-12);
}
