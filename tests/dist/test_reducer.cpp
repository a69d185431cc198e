// Reducer: every gradient becomes the mean over ranks, buckets start during backward (in
// bucket order) as soon as their gradients are final, a parameter backward did not reach
// counts as zero; synchronised batch norm on one rank is batch norm, with its gradients.
#include <catch2/catch.hpp>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/functions.h"
#include "autograd/gradcheck.h"
#include "core/generator.h"
#include "dist/reducer.h"
#include "nn/sync_batch_norm.h"
#include "ops/elementwise.h"

using namespace hs;

namespace {

// A pretend group of two ranks where the other rank's gradient is always 3 times this
// one's: the sum is 4 times, the mean twice this rank's gradient.
class TwoRanksTripleOther : public dist::ProcessGroup {
 public:
  struct Done : dist::Work {
    void wait() override {}
    bool test() override { return true; }
  };
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string backend() const override { return "test"; }
  std::unique_ptr<dist::Work> allreduce_sum_async(Tensor& t) override {
    sizes.push_back(t.numel());
    if (in_backward) ++started_in_backward;
    t.copy_(ops::mul(t, 4.0));
    return std::make_unique<Done>();
  }
  void broadcast(Tensor&, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }

  std::vector<std::int64_t> sizes;
  bool in_backward = false;
  int started_in_backward = 0;
};

Variable random_leaf(const Shape& shape, Generator& gen) {
  Tensor t = empty(shape);
  float* p = t.data<float>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(2 * gen.uniform() - 1);
  return Variable(t, true);
}

}  // namespace

TEST_CASE("Reducer: gradients become the mean over ranks, buckets start during backward") {
  Generator gen(11);
  // A chain x -> a -> b -> c, so backward finishes c's gradient first and a's last.
  Variable a = random_leaf({8, 8}, gen), b = random_leaf({8, 8}, gen), c = random_leaf({8, 4}, gen),
           unused = random_leaf({3}, gen);
  const Variable x = random_leaf({5, 8}, gen).detach();
  TwoRanksTripleOther group;
  // 256 bytes a bucket, filled in reverse order: {unused, c} (3 + 32 floats), {b}, {a}.
  dist::Reducer reducer({a, b, c, unused}, group, 256);
  REQUIRE(reducer.bucket_count() == 3);

  for (int step = 0; step < 2; ++step) {
    for (Variable* p : {&a, &b, &c, &unused}) p->zero_grad();
    const Variable loss = sum(matmul(relu(matmul(relu(matmul(x, a)), b)), c));
    group.sizes.clear();
    group.started_in_backward = 0;
    group.in_backward = true;
    loss.backward();
    group.in_backward = false;
    const std::vector<Tensor> local = {a.grad().clone(), b.grad().clone(), c.grad().clone()};
    // Buckets start in their order; the first holds the parameter backward never reaches,
    // so it and the ones after it wait for finish().
    CHECK(group.started_in_backward == 0);
    reducer.finish();
    CHECK(group.sizes == std::vector<std::int64_t>{35, 64, 64});
    for (std::size_t k = 0; k < local.size(); ++k) {
      const std::vector<float> before = local[k].to_vector<float>();
      const std::vector<float> after = std::vector<Variable>{a, b, c}[k].grad().to_vector<float>();
      for (std::size_t i = 0; i < before.size(); ++i) REQUIRE(after[i] == Approx(2 * before[i]));
    }
    REQUIRE(unused.grad().defined());
    CHECK(unused.grad().to_vector<float>() == std::vector<float>(3, 0.0f));
  }
}

TEST_CASE("Reducer: buckets whose gradients are final start while backward runs") {
  Generator gen(12);
  Variable a = random_leaf({8, 8}, gen), b = random_leaf({8, 8}, gen), c = random_leaf({8, 4}, gen);
  const Variable x = random_leaf({5, 8}, gen).detach();
  TwoRanksTripleOther group;
  dist::Reducer reducer({a, b, c}, group, 256);
  const Variable loss = sum(matmul(relu(matmul(relu(matmul(x, a)), b)), c));
  group.in_backward = true;
  loss.backward();
  group.in_backward = false;
  // All three buckets were complete, and started, inside backward.
  CHECK(group.started_in_backward == 3);
  reducer.finish();
  CHECK(group.sizes == std::vector<std::int64_t>{32, 64, 64});
}

TEST_CASE("Reducer: a bucket size of 0 is an error") {
  TwoRanksTripleOther group;
  Variable a(zeros({2}), true);
  CHECK_THROWS_WITH(dist::Reducer({a}, group, 0), Catch::Contains("bucket size must be > 0"));
}

TEST_CASE("sync_batch_norm on one rank is batch norm in training, gradients included (f64)") {
  Generator gen(5);
  const auto uniform = [&](const Shape& shape, double lo, double hi) {
    Tensor t = empty(shape, DType::f64);
    double* p = t.data<double>();
    for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = lo + (hi - lo) * gen.uniform();
    return t;
  };
  const auto one = dist::single_process_group();
  const Variable x(uniform({3, 2, 2, 3}, -2, 2), true);
  const Variable gamma(uniform({2}, 0.5, 1.5), true), beta(uniform({2}, -1, 1), true);
  Tensor rm_sync = zeros({2}, DType::f64), rv_sync = ones({2}, DType::f64);
  Tensor rm = zeros({2}, DType::f64), rv = ones({2}, DType::f64);
  const Variable ys = nn::sync_batch_norm(x, gamma, beta, rm_sync, rv_sync, 0.1, 1e-5, *one);
  const Variable y = batch_norm(x, gamma, beta, rm, rv, true, 0.1, 1e-5);
  const std::vector<double> a = ys.data().to_vector<double>(), b = y.data().to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == Approx(b[i]).margin(1e-12));
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(rm_sync.to_vector<double>()[i] == Approx(rm.to_vector<double>()[i]).margin(1e-12));
    CHECK(rv_sync.to_vector<double>()[i] == Approx(rv.to_vector<double>()[i]).margin(1e-12));
  }
  const Tensor w = uniform({3, 2, 2, 3}, -1, 1);  // a loss that weighs every output
  const GradcheckResult r = gradcheck(
      [&](const std::vector<Variable>& in) {
        Tensor m = zeros({2}, DType::f64), v = ones({2}, DType::f64);
        return sum(nn::sync_batch_norm(in[0], in[1], in[2], m, v, 0.1, 1e-5, *one) * Variable(w));
      },
      {x, gamma, beta});
  INFO(r.report());
  CHECK(r.ok);
}
