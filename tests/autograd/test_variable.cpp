// Variable handles, leaf flags, detach, grad storage and grad mode.
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/variable.h"
#include "autograd_test_util.h"

using namespace hs;

TEST_CASE("a new variable is a leaf that requires grad only when asked") {
  Variable plain(ones({2, 3}));
  REQUIRE(plain.defined());
  REQUIRE(plain.is_leaf());
  REQUIRE_FALSE(plain.requires_grad());
  REQUIRE(plain.grad_fn() == nullptr);
  REQUIRE_FALSE(plain.grad().defined());
  REQUIRE(plain.shape() == Shape{2, 3});
  REQUIRE(plain.numel() == 6);

  Variable w(ones({2}), true);
  REQUIRE(w.requires_grad());
  REQUIRE(w.is_leaf());
  w.requires_grad_(false);
  REQUIRE_FALSE(w.requires_grad());
  plain.requires_grad_();
  REQUIRE(plain.requires_grad());
}

TEST_CASE("copies of a variable are handles to the same variable") {
  Variable a(zeros({3}), true);
  Variable b = a;
  REQUIRE(b.same(a));
  b.set_grad(ones({3}));
  REQUIRE(a.grad().defined());
  REQUIRE_FALSE(Variable(zeros({3})).same(a));
}

TEST_CASE("a computed variable is not a leaf and records its node") {
  Variable x(ones({2}), true);
  Variable y = x * 2.0;
  REQUIRE_FALSE(y.is_leaf());
  REQUIRE(y.requires_grad());
  REQUIRE(y.grad_fn() != nullptr);
  REQUIRE(y.grad_fn()->name() == "MulScalarBackward");
  REQUIRE(y.output_nr() == 0);
  REQUIRE(y.grad_fn()->next_edges.size() == 1);
  REQUIRE(y.grad_fn()->next_edges[0].node->name() == "AccumulateGrad");
}

TEST_CASE("results of inputs that need no grad record nothing") {
  Variable a(ones({2})), b(ones({2}));
  Variable c = a * b + a;
  REQUIRE(c.is_leaf());
  REQUIRE_FALSE(c.requires_grad());
}

TEST_CASE("requires_grad_ on a non-leaf is an error") {
  Variable x(ones({2}), true);
  Variable y = x + x;
  REQUIRE_THROWS_AS(y.requires_grad_(), Error);
  REQUIRE_THROWS_WITH(y.requires_grad_(),
                      Catch::Contains("requires_grad_") && Catch::Contains("AddBackward"));
}

TEST_CASE("only floating variables can require grad") {
  Tensor labels = arange(4, DType::i64);
  REQUIRE_THROWS_WITH(Variable(labels, true),
                      Catch::Contains("requires_grad") && Catch::Contains("i64"));
  Variable v(labels);
  REQUIRE_THROWS_AS(v.requires_grad_(), Error);
  REQUIRE_NOTHROW(Variable(ones({1}, DType::f64), true));
}

TEST_CASE("an undefined variable or tensor is rejected") {
  Variable undefined;
  REQUIRE_FALSE(undefined.defined());
  REQUIRE_THROWS_AS(undefined.data(), Error);
  REQUIRE_THROWS_AS(undefined.requires_grad(), Error);
  REQUIRE_THROWS_AS(Variable(Tensor()), Error);
}

TEST_CASE("detach shares data but not the graph") {
  Variable x(from_vector<double>({1, 2, 3}), true);
  Variable y = x * 3.0;
  Variable d = y.detach();
  REQUIRE(d.is_leaf());
  REQUIRE_FALSE(d.requires_grad());
  REQUIRE(d.data().shares_storage_with(y.data()));
  REQUIRE(d.data().data_ptr() == y.data().data_ptr());

  // A gradient does not flow through the detached branch.
  Variable out = sum(y + d * x);
  out.backward();
  test::require_values(x.grad(), {3 + 3, 3 + 6, 3 + 9});
}

TEST_CASE("set_data replaces the data without touching the graph") {
  Variable w(zeros({2}), true);
  w.set_data(ones({2}));
  test::require_values(w.data(), {1, 1});
  REQUIRE(w.requires_grad());
  REQUIRE(w.is_leaf());
}

TEST_CASE("zero_grad drops the gradient; set_grad checks the shape") {
  Variable w(ones({2, 2}, DType::f64), true);
  sum(w * w).backward();
  REQUIRE(w.grad().defined());
  w.zero_grad();
  REQUIRE_FALSE(w.grad().defined());
  REQUIRE_THROWS_WITH(w.set_grad(ones({4})), Catch::Contains("set_grad") &&
                                                 Catch::Contains("[4]") &&
                                                 Catch::Contains("[2,2]"));
}

TEST_CASE("NoGradGuard stops recording for its scope and nests") {
  Variable x(ones({2}), true);
  REQUIRE(grad_enabled());
  {
    NoGradGuard outer;
    REQUIRE_FALSE(grad_enabled());
    Variable y = x * 2.0 + x;
    REQUIRE(y.is_leaf());
    REQUIRE_FALSE(y.requires_grad());
    {
      NoGradGuard inner;
      REQUIRE_FALSE(grad_enabled());
    }
    REQUIRE_FALSE(grad_enabled());
  }
  REQUIRE(grad_enabled());
  REQUIRE((x * 2.0).grad_fn() != nullptr);
}

TEST_CASE("grad mode is per thread") {
  NoGradGuard no_grad;
  bool other_thread_enabled = false;
  std::thread t([&] { other_thread_enabled = grad_enabled(); });
  t.join();
  REQUIRE(other_thread_enabled);
  REQUIRE_FALSE(grad_enabled());
}

TEST_CASE("nodes are numbered in creation order") {
  Variable x(ones({2}), true);
  Variable a = x * 2.0;
  Variable b = a + 1.0;
  REQUIRE(b.grad_fn()->sequence_nr > a.grad_fn()->sequence_nr);
}

TEST_CASE("a variable prints its data and its node") {
  Variable x(ones({2}), true);
  std::ostringstream leaf_text, result_text;
  leaf_text << x;
  result_text << x * 2.0;
  REQUIRE_THAT(leaf_text.str(), Catch::Contains("requires_grad=true"));
  REQUIRE_THAT(result_text.str(), Catch::Contains("MulScalarBackward"));
}
