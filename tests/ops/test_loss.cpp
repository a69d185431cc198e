// cross_entropy and accuracy: loss, softmax and gradient against naive f64 formulas, with
// and without label smoothing, huge logits (stability), strided inputs, f32 against f64;
// top-k accuracy on hand-made logits including ties; every argument error.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/loss.h"
#include "ops/op_test_util.h"

using namespace hs;
using hs::test::require_values;

namespace {

Tensor labels_of(const std::vector<std::int64_t>& v) { return from_vector(v); }

// Naive softmax (no shift: the test logits are moderate) and the mean smoothed loss.
struct ReferenceCe {
  std::vector<double> softmax;
  double loss = 0;
};

ReferenceCe reference_cross_entropy(const Tensor& logits, const std::vector<std::int64_t>& labels,
                                    double eps) {
  const std::vector<double> z = logits.to_vector<double>();
  const std::int64_t rows = logits.size(0), classes = logits.size(1);
  ReferenceCe r;
  for (std::int64_t n = 0; n < rows; ++n) {
    double total = 0;
    for (std::int64_t k = 0; k < classes; ++k) total += std::exp(z[n * classes + k]);
    for (std::int64_t k = 0; k < classes; ++k) {
      const double p = std::exp(z[n * classes + k]) / total;
      r.softmax.push_back(p);
      const double target = (k == labels[n] ? 1.0 - eps : 0.0) + eps / classes;
      r.loss -= target * std::log(p);
    }
  }
  r.loss /= rows;
  return r;
}

}  // namespace

TEST_CASE("cross_entropy: loss, softmax and gradient match naive formulas") {
  Generator gen(401);
  const std::vector<std::int64_t> labels = {2, 0, 4, 4, 1, 3};
  const Tensor logits = randn({6, 5}, gen, DType::f64, 0.0, 2.0);
  for (double eps : {0.0, 0.1, 0.5}) {
    INFO("label_smoothing " << eps);
    const ReferenceCe ref = reference_cross_entropy(logits, labels, eps);
    const ops::CrossEntropyForward f = ops::cross_entropy_forward(logits, labels_of(labels), eps);
    REQUIRE(f.loss.dim() == 0);
    REQUIRE(f.loss.dtype() == DType::f64);
    REQUIRE(f.loss.item() == Approx(ref.loss).epsilon(1e-13));
    require_values(f.softmax, ref.softmax, 1e-13);

    const double g = 2.5;
    std::vector<double> expected;
    for (std::int64_t n = 0; n < 6; ++n)
      for (std::int64_t k = 0; k < 5; ++k) {
        const double target = (k == labels[n] ? 1.0 - eps : 0.0) + eps / 5;
        expected.push_back((ref.softmax[n * 5 + k] - target) / 6 * g);
      }
    const Tensor d = ops::cross_entropy_backward(scalar_tensor(g, DType::f64), f.softmax,
                                                 labels_of(labels), eps);
    REQUIRE(d.shape() == logits.shape());
    require_values(d, expected, 1e-13);
  }
}

TEST_CASE("cross_entropy: a hand-computed batch of one") {
  // logits {0, ln 3}: softmax {1/4, 3/4}; label 1 -> loss ln(4/3).
  const Tensor logits = from_vector<double>({0, std::log(3.0)}, {1, 2});
  const ops::CrossEntropyForward f = ops::cross_entropy_forward(logits, labels_of({1}));
  REQUIRE(f.loss.item() == Approx(std::log(4.0 / 3.0)).epsilon(1e-14));
  require_values(f.softmax, {0.25, 0.75}, 1e-15);
  // With smoothing 0.2 the target is {0.1, 0.9}.
  const ops::CrossEntropyForward s = ops::cross_entropy_forward(logits, labels_of({1}), 0.2);
  REQUIRE(s.loss.item() == Approx(-0.1 * std::log(0.25) - 0.9 * std::log(0.75)).epsilon(1e-14));
  require_values(
      ops::cross_entropy_backward(scalar_tensor(1.0, DType::f64), s.softmax, labels_of({1}), 0.2),
      {0.15, -0.15}, 1e-15);
}

TEST_CASE("cross_entropy: huge logits stay finite (the row max is subtracted)") {
  const Tensor logits = from_vector<double>({1000, 1001, 1002, -1000, -1001, -1003}, {2, 3});
  const ops::CrossEntropyForward f = ops::cross_entropy_forward(logits, labels_of({0, 2}));
  const Tensor shifted = from_vector<double>({-2, -1, 0, 0, -1, -3}, {2, 3});
  const ReferenceCe ref = reference_cross_entropy(shifted, {0, 2}, 0.0);
  REQUIRE(std::isfinite(f.loss.item()));
  REQUIRE(f.loss.item() == Approx(ref.loss).epsilon(1e-13));
  require_values(f.softmax, ref.softmax, 1e-13);

  const ops::CrossEntropyForward f32 =
      ops::cross_entropy_forward(logits.to(DType::f32), labels_of({0, 2}));
  REQUIRE(f32.loss.item() == Approx(ref.loss).epsilon(1e-6));
}

TEST_CASE("cross_entropy: strided logits and labels; f32 agrees with f64") {
  Generator gen(402);
  const Tensor logits = randn({7, 4}, gen, DType::f64);
  const std::vector<std::int64_t> labels = {3, 1, 0, 0, 2, 3, 1};
  Tensor spread_labels = zeros({14}, DType::i64).as_strided({7}, {2}, 1);
  spread_labels.copy_(labels_of(labels));
  const Tensor transposed_logits = logits.transpose(0, 1).contiguous().transpose(0, 1);
  const ops::CrossEntropyForward ref = ops::cross_entropy_forward(logits, labels_of(labels), 0.1);
  const ops::CrossEntropyForward f =
      ops::cross_entropy_forward(transposed_logits, spread_labels, 0.1);
  REQUIRE(f.loss.item() == Approx(ref.loss.item()).epsilon(1e-14));
  require_values(f.softmax, ref.softmax.to_vector<double>(), 1e-14);
  const Tensor d_ref = ops::cross_entropy_backward(scalar_tensor(1.0, DType::f64), ref.softmax,
                                                   labels_of(labels), 0.1);
  require_values(ops::cross_entropy_backward(scalar_tensor(1.0, DType::f64),
                                             f.softmax.transpose(0, 1).contiguous().transpose(0, 1),
                                             spread_labels, 0.1),
                 d_ref.to_vector<double>(), 1e-14);

  const ops::CrossEntropyForward f32 =
      ops::cross_entropy_forward(logits.to(DType::f32), labels_of(labels), 0.1);
  REQUIRE(f32.loss.dtype() == DType::f32);
  REQUIRE(f32.loss.item() == Approx(ref.loss.item()).epsilon(1e-6));
  const Tensor d32 =
      ops::cross_entropy_backward(scalar_tensor(1.0), f32.softmax, labels_of(labels), 0.1);
  REQUIRE(d32.dtype() == DType::f32);
  require_values(d32, d_ref.to_vector<double>(), 1e-6);
}

TEST_CASE("accuracy and topk_correct on hand-made logits") {
  const Tensor logits = from_vector<double>({0.1, 0.7, 0.2,      // top order 1,2,0
                                             0.5, 0.3, 0.2,      // 0,1,2
                                             0.2, 0.2, 0.6,      // 2, then a tie: 0 before 1
                                             -1.0, -3.0, -2.0},  // 0,2,1
                                            {4, 3});
  const Tensor labels = labels_of({1, 2, 1, 2});
  // Ranks of the labels: 0, 2, 2, 1.
  REQUIRE(ops::accuracy(logits, labels) == 0.25);
  REQUIRE(ops::accuracy(logits, labels, 2) == 0.5);
  REQUIRE(ops::accuracy(logits, labels, 3) == 1.0);
  REQUIRE(ops::topk_correct(logits, labels, {1, 2, 3}) == std::vector<std::int64_t>{1, 2, 4});
  REQUIRE(ops::topk_correct(logits.to(DType::f32), labels, {1, 3}) ==
          std::vector<std::int64_t>{1, 4});
  // A row of equal logits: only the lowest index counts as top-1.
  const Tensor flat = zeros({2, 4}, DType::f64);
  REQUIRE(ops::topk_correct(flat, labels_of({0, 3}), {1, 3, 4}) ==
          std::vector<std::int64_t>{1, 1, 2});
}

TEST_CASE("cross_entropy and accuracy: argument errors name the operation and the values") {
  Generator gen(403);
  const Tensor logits = randn({3, 4}, gen, DType::f64);
  const Tensor labels = labels_of({0, 3, 1});
  using Catch::Contains;
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, from_vector<double>({0, 3, 1})),
                      Contains("cross_entropy") && Contains("i64") && Contains("f64"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, labels_of({0, 4, 1})),
                      Contains("cross_entropy") && Contains("label 4 at index 1"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, labels_of({0, 1, -1})),
                      Contains("label -1 at index 2"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, labels_of({0, 1})),
                      Contains("cross_entropy") && Contains("[2]") && Contains("[3,4]"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(zeros({0, 4}, DType::f64), labels_of({})),
                      Contains("cross_entropy") && Contains("empty batch"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(randn({4}, gen, DType::f64), labels),
                      Contains("cross_entropy") && Contains("2-D"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, labels, 1.0),
                      Contains("cross_entropy") && Contains("label_smoothing"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, labels, -0.1),
                      Contains("label_smoothing"));
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(zeros({3, 4}, DType::i64), labels),
                      Contains("cross_entropy") && Contains("i64"));
  const ops::CrossEntropyForward f = ops::cross_entropy_forward(logits, labels);
  REQUIRE_THROWS_WITH(ops::cross_entropy_backward(ones({2}, DType::f64), f.softmax, labels),
                      Contains("cross_entropy_backward") && Contains("one element"));
  REQUIRE_THROWS_WITH(
      ops::cross_entropy_backward(scalar_tensor(1.0, DType::f64), f.softmax, labels_of({0, 9, 1})),
      Contains("cross_entropy_backward") && Contains("label 9"));

  REQUIRE_THROWS_WITH(ops::accuracy(logits, labels, 0), Contains("accuracy") && Contains("k = 0"));
  REQUIRE_THROWS_WITH(ops::accuracy(logits, labels, 5), Contains("accuracy") && Contains("k = 5"));
  REQUIRE_THROWS_WITH(ops::accuracy(logits, labels_of({0, 7, 1})),
                      Contains("accuracy") && Contains("label 7 at index 1"));
  REQUIRE_THROWS_WITH(ops::topk_correct(logits, labels, {1, 6}),
                      Contains("topk_correct") && Contains("k = 6"));
  REQUIRE_THROWS_WITH(ops::accuracy(zeros({0, 4}, DType::f64), labels_of({})),
                      Contains("accuracy") && Contains("empty batch"));
}
