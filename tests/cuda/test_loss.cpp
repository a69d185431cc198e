// CUDA cross-entropy (with and without label smoothing), top-k counts and the linear layer
// against their CPU twins on the same random inputs, forward and backward, f32 and f64; and
// the errors for labels out of range or on another device.
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "ops/linear.h"
#include "ops/loss.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close;
using cuda_test::require_close_to_scale;
using cuda_test::scale_tol_for;

namespace {

Tensor random_labels(std::int64_t rows, std::int64_t classes, Generator& gen) {
  std::vector<std::int64_t> v(rows);
  for (auto& label : v) label = static_cast<std::int64_t>(gen.uniform() * classes) % classes;
  return from_vector(v);
}

double tol(DType dtype) { return dtype == DType::f32 ? 1e-6 : 1e-13; }

}  // namespace

TEST_CASE("cross-entropy on CUDA matches the CPU", "[cuda]") {
  Generator gen(401);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const auto& [rows, classes] : std::vector<std::pair<std::int64_t, std::int64_t>>{
             {1, 1}, {5, 3}, {64, 10}, {300, 100}, {7, 1000}}) {
      for (const double smoothing : {0.0, 0.1}) {
        INFO(dtype_name(dtype) << " " << rows << "x" << classes << " smoothing " << smoothing);
        const Tensor logits = randn({rows, classes}, gen, dtype, 0.0, 3.0);
        const Tensor labels = random_labels(rows, classes, gen);
        const ops::CrossEntropyForward cpu = ops::cross_entropy_forward(logits, labels, smoothing);
        const ops::CrossEntropyForward gpu =
            ops::cross_entropy_forward(logits.to(kGpu), labels.to(kGpu), smoothing);
        require_close(gpu.loss, cpu.loss, tol(dtype), tol(dtype));
        require_close(gpu.softmax, cpu.softmax, tol(dtype), tol(dtype));
        const Tensor grad = scalar_tensor(1.7, dtype);
        require_close(
            ops::cross_entropy_backward(grad.to(kGpu), gpu.softmax, labels.to(kGpu), smoothing),
            ops::cross_entropy_backward(grad, cpu.softmax, labels, smoothing), tol(dtype),
            tol(dtype));
      }
    }
  }
}

TEST_CASE("cross-entropy on CUDA reads transposed logits and strided labels", "[cuda]") {
  Generator gen(402);
  const Tensor logits = randn({10, 6}, gen);
  const Tensor labels = random_labels(12, 6, gen);
  const Tensor every_other = labels.narrow(0, 0, 12).view({6, 2}).narrow(1, 0, 1).squeeze(1);
  const ops::CrossEntropyForward cpu =
      ops::cross_entropy_forward(logits.transpose(0, 1), every_other, 0.2);
  const ops::CrossEntropyForward gpu =
      ops::cross_entropy_forward(logits.to(kGpu).transpose(0, 1),
                                 labels.to(kGpu).view({6, 2}).narrow(1, 0, 1).squeeze(1), 0.2);
  require_close(gpu.loss, cpu.loss, 1e-6, 1e-6);
  require_close(gpu.softmax, cpu.softmax, 1e-6, 1e-6);
}

TEST_CASE("top-k counts and accuracy on CUDA match the CPU, ties included", "[cuda]") {
  Generator gen(403);
  for (const DType dtype : {DType::f32, DType::f64}) {
    // Rounded logits make ties common.
    const Tensor logits = randn({200, 10}, gen, dtype, 0.0, 2.0).to(DType::i64).to(dtype);
    const Tensor labels = random_labels(200, 10, gen);
    const std::vector<std::int64_t> ks = {1, 2, 5, 10};
    CHECK(ops::topk_correct(logits.to(kGpu), labels.to(kGpu), ks) ==
          ops::topk_correct(logits, labels, ks));
    CHECK(ops::accuracy(logits.to(kGpu), labels.to(kGpu), 3) == ops::accuracy(logits, labels, 3));
  }
}

TEST_CASE("top-k counts on CUDA equal hand-made counts, NaN rows counted wrong", "[cuda]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor logits = from_vector<double>({0.1, 0.7, 0.2,     // top order 1,2,0
                                               0.5, 0.3, 0.2,     // 0,1,2
                                               0.2, 0.2, 0.6,     // 2, then a tie: 0 before 1
                                               -1.0, -3.0, -2.0,  // 0,2,1
                                               nan, 0.9, 0.1,     // NaN: wrong at every k
                                               0.3, nan, 0.1},    // NaN in the label's place
                                              {6, 3})
                              .to(dtype)
                              .to(kGpu);
    const Tensor labels = from_vector<std::int64_t>({1, 2, 1, 2, 1, 1}).to(kGpu);
    // Ranks of the labels: 0, 2, 2, 1, then the two NaN rows, never correct.
    CHECK(ops::topk_correct(logits, labels, {1, 2, 3}) == std::vector<std::int64_t>{1, 2, 4});
    CHECK(ops::accuracy(logits, labels, 3) == Approx(4.0 / 6.0));
  }
}

TEST_CASE("cross-entropy on CUDA rejects bad labels and mixed devices", "[cuda]") {
  Generator gen(404);
  const Tensor logits = randn({3, 4}, gen).to(kGpu);
  const Tensor bad = from_vector<std::int64_t>({0, 4, 1}).to(kGpu);
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, bad), Catch::Contains("label 4"));
  const Tensor good = from_vector<std::int64_t>({0, 3, 1});
  REQUIRE_THROWS_WITH(ops::cross_entropy_forward(logits, good), Catch::Contains("labels"));
  const ops::CrossEntropyForward f = ops::cross_entropy_forward(logits, good.to(kGpu));
  REQUIRE_THROWS_WITH(ops::cross_entropy_backward(scalar_tensor(1.0), f.softmax, good.to(kGpu)),
                      Catch::Contains("grad is on"));
  REQUIRE_THROWS_WITH(ops::topk_correct(logits, good, {1}), Catch::Contains("labels"));
}

TEST_CASE("linear on CUDA matches the CPU, forward and backward", "[cuda]") {
  Generator gen(405);
  for (const DType dtype : {DType::f32, DType::f64}) {
    const double stol = scale_tol_for(dtype);
    for (const bool bias : {true, false}) {
      const Tensor x = randn({9, 17}, gen, dtype);
      const Tensor w = randn({5, 17}, gen, dtype);
      const Tensor b = bias ? randn({5}, gen, dtype) : Tensor();
      const Tensor gx = x.to(kGpu), gw = w.to(kGpu), gb = bias ? b.to(kGpu) : Tensor();
      require_close_to_scale(ops::linear_forward(gx, gw, gb), ops::linear_forward(x, w, b), stol);
      // A transposed weight view is read in place (cuBLAS's transposed operand).
      const Tensor wt = randn({17, 5}, gen, dtype);
      require_close_to_scale(ops::linear_forward(gx, wt.to(kGpu).transpose(0, 1), gb),
                             ops::linear_forward(x, wt.transpose(0, 1), b), stol);
      const Tensor dy = randn({9, 5}, gen, dtype);
      const ops::LinearGrads cpu = ops::linear_backward(dy, x, w, true, true, true);
      const ops::LinearGrads gpu = ops::linear_backward(dy.to(kGpu), gx, gw, true, true, true);
      require_close_to_scale(gpu.dx, cpu.dx, stol);
      require_close_to_scale(gpu.dw, cpu.dw, stol);
      require_close_to_scale(gpu.db, cpu.db, stol);
      const ops::LinearGrads only_dw =
          ops::linear_backward(dy.to(kGpu), gx, gw, false, true, false);
      CHECK(!only_dw.dx.defined());
      CHECK(!only_dw.db.defined());
    }
  }
  const Tensor x = randn({2, 3}, gen);
  REQUIRE_THROWS_WITH(ops::linear_forward(x.to(kGpu), randn({4, 3}, gen)),
                      Catch::Contains("devices"));
}
