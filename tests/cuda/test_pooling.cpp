// CUDA max, average and global average pooling against their CPU twins on the same random
// inputs, forward (argmax indices exactly) and backward, f32 and f64, over kernel, stride
// and padding corners, overlapping windows, channel-slice views and NaN inputs.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "ops/pooling.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close;
using cuda_test::require_equal;

namespace {

struct PoolCase {
  Shape x;
  ops::Size2 kernel;
  std::optional<ops::Size2> stride;
  ops::Size2 padding;
};

const std::vector<PoolCase> kCases = {
    {{2, 3, 8, 8}, 2, std::nullopt, 0},
    {{2, 3, 7, 9}, 3, ops::Size2(2), 1},
    {{1, 2, 5, 6}, {3, 2}, ops::Size2(1, 2), {1, 0}},
    {{3, 4, 6, 6}, 3, ops::Size2(1), 1},
    {{2, 2, 9, 9}, {4, 3}, ops::Size2(3, 2), {2, 1}},
};

double tol(DType dtype) { return dtype == DType::f32 ? 1e-6 : 1e-13; }

void compare_max(const Tensor& x, const Tensor& gx, const PoolCase& c, Generator& gen) {
  const ops::MaxPool2dForward cpu = ops::max_pool2d_forward(x, c.kernel, c.stride, c.padding);
  const ops::MaxPool2dForward gpu = ops::max_pool2d_forward(gx, c.kernel, c.stride, c.padding);
  require_equal(gpu.y, cpu.y);
  require_equal(gpu.indices, cpu.indices);
  const Tensor dy = randn(cpu.y.shape(), gen, x.dtype());
  // Sums of up to kernel-area values, added in the CPU's order on both devices.
  require_close(ops::max_pool2d_backward(dy.to(kGpu), gpu.indices, x.shape()),
                ops::max_pool2d_backward(dy, cpu.indices, x.shape()), tol(x.dtype()),
                tol(x.dtype()));
}

void compare_avg(const Tensor& x, const Tensor& gx, const PoolCase& c, bool count_pad,
                 Generator& gen) {
  const Tensor y = ops::avg_pool2d_forward(x, c.kernel, c.stride, c.padding, count_pad);
  require_close(ops::avg_pool2d_forward(gx, c.kernel, c.stride, c.padding, count_pad), y,
                tol(x.dtype()), tol(x.dtype()));
  const Tensor dy = randn(y.shape(), gen, x.dtype());
  require_close(
      ops::avg_pool2d_backward(dy.to(kGpu), x.shape(), c.kernel, c.stride, c.padding, count_pad),
      ops::avg_pool2d_backward(dy, x.shape(), c.kernel, c.stride, c.padding, count_pad),
      tol(x.dtype()), tol(x.dtype()));
}

}  // namespace

TEST_CASE("max and avg pooling on CUDA match the CPU", "[cuda]") {
  Generator gen(301);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const PoolCase& c : kCases) {
      INFO(dtype_name(dtype) << " x " << c.x << " kernel " << c.kernel << " padding " << c.padding);
      const Tensor x = randn(c.x, gen, dtype);
      compare_max(x, x.to(kGpu), c, gen);
      for (const bool count_pad : {true, false}) compare_avg(x, x.to(kGpu), c, count_pad, gen);
      // A channel slice of a bigger tensor, read in place.
      const Tensor big = randn({c.x[0], c.x[1] + 2, c.x[2], c.x[3]}, gen, dtype);
      const Tensor slice = big.narrow(1, 1, c.x[1]);
      const Tensor gslice = big.to(kGpu).narrow(1, 1, c.x[1]);
      compare_max(slice, gslice, c, gen);
      compare_avg(slice, gslice, c, true, gen);
    }
  }
}

TEST_CASE("max pooling on CUDA lets NaN win like the CPU", "[cuda]") {
  Generator gen(302);
  Tensor x = randn({1, 2, 6, 6}, gen);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  x.data<float>()[7] = nan;
  x.data<float>()[40] = nan;
  const PoolCase c{x.shape(), 3, ops::Size2(2), 1};
  compare_max(x, x.to(kGpu), c, gen);
}

TEST_CASE("max pooling backward on CUDA rejects indices outside the plane", "[cuda]") {
  Generator gen(303);
  const Tensor dy = randn({1, 1, 2, 2}, gen).to(kGpu);
  const Tensor bad = from_vector<std::int64_t>({0, 1, 16, 3}, {1, 1, 2, 2}).to(kGpu);
  REQUIRE_THROWS_WITH(ops::max_pool2d_backward(dy, bad, {1, 1, 4, 4}),
                      Catch::Contains("outside [0, 16)"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_backward(dy, bad.to(Device::cpu()), {1, 1, 4, 4}),
                      Catch::Contains("indices are on"));
}

TEST_CASE("global average pooling on CUDA matches the CPU", "[cuda]") {
  Generator gen(304);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape : {Shape{2, 3, 5, 7}, Shape{4, 16, 8, 8}, Shape{1, 1, 1, 1}}) {
      const Tensor x = randn(shape, gen, dtype);
      require_close(ops::global_avg_pool2d_forward(x.to(kGpu)), ops::global_avg_pool2d_forward(x),
                    tol(dtype), tol(dtype));
      const Tensor dy = randn({shape[0], shape[1], 1, 1}, gen, dtype);
      require_close(ops::global_avg_pool2d_backward(dy.to(kGpu), shape),
                    ops::global_avg_pool2d_backward(dy, shape), tol(dtype), tol(dtype));
    }
    const Tensor big = randn({2, 6, 4, 4}, gen, dtype);
    require_close(ops::global_avg_pool2d_forward(big.to(kGpu).narrow(1, 1, 3)),
                  ops::global_avg_pool2d_forward(big.narrow(1, 1, 3)), tol(dtype), tol(dtype));
  }
}
