// Differentiable cross-entropy: f64 gradient checks of the logits with and without label
// smoothing, a small classifier head (bn+relu, pools, linear, cross-entropy) checked end to end,
// and the errors.
#include <catch2/catch.hpp>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/functions.h"
#include "autograd/linear.h"
#include "autograd/loss.h"
#include "autograd/pooling.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

Tensor labels_of(const std::vector<std::int64_t>& v) { return from_vector(v); }

}  // namespace

TEST_CASE("cross_entropy: gradcheck of the logits with and without label smoothing") {
  Generator gen(507);
  Variable logits(normal64({5, 4}, gen, 0.0, 2.0), true);
  const Tensor labels = labels_of({3, 0, 0, 2, 1});
  for (double eps : {0.0, 0.1}) {
    INFO("label_smoothing " << eps);
    require_gradcheck(
        [&](const std::vector<Variable>& in) { return cross_entropy(in[0], labels, eps) * 3.0; },
        {logits});
  }
  const Variable loss = cross_entropy(logits, labels);
  REQUIRE(loss.dim() == 0);
  REQUIRE(loss.grad_fn()->name() == "CrossEntropyBackward");
}

TEST_CASE("a classifier head checks out end to end") {
  // bn+relu -> max pool -> global average pool -> flatten -> linear -> cross-entropy.
  Generator gen(508);
  Variable x(normal64({3, 2, 5, 5}, gen), true);
  Variable gamma(normal64({2}, gen, 1.0, 0.3), true);
  Variable beta(normal64({2}, gen, 0.2, 0.3), true);
  Variable w(normal64({4, 2}, gen), true);
  Variable b(normal64({4}, gen), true);
  const Tensor labels = labels_of({1, 3, 0});
  require_gradcheck(
      [&](const std::vector<Variable>& in) {
        const Variable h = batch_norm_relu(in[0], in[1], in[2], Tensor(), Tensor(), true);
        const Variable pooled = global_avg_pool2d(max_pool2d(h, 3, 2, 1));
        return cross_entropy(linear(flatten(pooled, 1), in[3], in[4]), labels, 0.1);
      },
      {x, gamma, beta, w, b});
}

TEST_CASE("cross_entropy: errors name the operation") {
  Generator gen(509);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(cross_entropy(Variable(normal64({2, 3}, gen)), labels_of({0, 3})),
                      Contains("cross_entropy") && Contains("label 3 at index 1"));
}
