// sum and mean over all dims or chosen dims, with and without keepdim: forward against
// naive loops, f64 gradient checks, and the gradient as an expanded view.
#include <algorithm>
#include <catch2/catch.hpp>

#include "autograd/functions.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// Naive reduction of x over `dims` (all when empty) by direct index loops.
Tensor naive_reduce(const Tensor& x, std::vector<std::int64_t> dims, bool keepdim, bool mean) {
  const int nd = x.dim();
  std::vector<bool> reduced(nd, dims.empty());
  for (std::int64_t d : dims) reduced[d < 0 ? d + nd : d] = true;
  Shape kept_shape;  // keepdim layout
  std::int64_t count = 1;
  for (int d = 0; d < nd; ++d) {
    kept_shape.push_back(reduced[d] ? 1 : x.size(d));
    if (reduced[d]) count *= x.size(d);
  }
  const std::vector<double> v = x.to_vector<double>();
  std::vector<double> out(kept_shape.numel(), 0.0);
  for (std::int64_t n = 0; n < x.numel(); ++n) {
    const std::vector<std::int64_t> idx = unravel(n, x.shape());
    std::int64_t flat = 0;
    for (int d = 0; d < nd; ++d) flat = flat * kept_shape[d] + (reduced[d] ? 0 : idx[d]);
    out[flat] += v[n];
  }
  if (mean)
    for (double& o : out) o /= static_cast<double>(count);
  Shape shape;
  for (int d = 0; d < nd; ++d)
    if (keepdim || !reduced[d]) shape.push_back(kept_shape[d]);
  return from_vector(out, shape);
}

struct ReduceCase {
  std::vector<std::int64_t> dims;
  bool keepdim;
};

const std::vector<ReduceCase> reduce_cases = {{{}, false},    {{}, true},    {{1}, false},
                                              {{0, 2}, true}, {{-1}, false}, {{2, 0}, false},
                                              {{1}, true}};

}  // namespace

TEST_CASE("sum and mean: forward matches naive loops") {
  Generator gen(21);
  const Tensor x = uniform64({2, 3, 4}, gen);
  for (const Tensor& layout : {x, spread_copy(x), transposed_copy(x)}) {
    for (const ReduceCase& c : reduce_cases) {
      INFO("dims " << Shape(c.dims) << " keepdim " << c.keepdim);
      require_values(sum(Variable(layout), c.dims, c.keepdim).data(),
                     naive_reduce(x, c.dims, c.keepdim, false));
      require_values(mean(Variable(layout), c.dims, c.keepdim).data(),
                     naive_reduce(x, c.dims, c.keepdim, true));
    }
  }
}

TEST_CASE("sum and mean: gradients pass gradcheck") {
  Generator gen(22);
  for (const ReduceCase& c : reduce_cases) {
    INFO("dims " << Shape(c.dims) << " keepdim " << c.keepdim);
    const auto dims = c.dims;
    const bool keepdim = c.keepdim;
    Variable x(transposed_copy(uniform64({2, 3, 4}, gen)), true);
    require_gradcheck(
        [dims, keepdim](const std::vector<Variable>& in) { return sum(in[0], dims, keepdim); },
        {x});
    require_gradcheck(
        [dims, keepdim](const std::vector<Variable>& in) { return mean(in[0], dims, keepdim); },
        {x});
  }
}

TEST_CASE("sum and mean: a reduced gradient feeds later ops correctly") {
  Generator gen(23);
  Variable x(uniform64({3, 4}, gen), true);
  Variable w(uniform64({3, 1}, gen), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) {
        Variable row_means = mean(in[0], {1}, true);
        Variable centred = in[0] - row_means;
        return sum(exp(centred * in[1]), {0});
      },
      {x, w});
}

TEST_CASE("sum's gradient is an expanded view of the incoming one") {
  Variable x(ones({2, 3}, DType::f64), true);
  Variable s = sum(x, {1});
  std::vector<Tensor> grads = s.grad_fn()->apply({from_vector<double>({2.0, 5.0})});
  REQUIRE(grads[0].shape() == Shape{2, 3});
  REQUIRE(grads[0].stride(1) == 0);
  require_values(grads[0], {2, 2, 2, 5, 5, 5});
}

TEST_CASE("sum and mean: bad dims are an error") {
  Variable x(ones({2, 3}), true);
  REQUIRE_THROWS_AS(sum(x, {2}), Error);
  REQUIRE_THROWS_AS(mean(x, {-3}), Error);
}
