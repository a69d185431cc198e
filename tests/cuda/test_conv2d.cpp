// The CUDA convolution against its CPU twin on the same random inputs, forward and the three
// backward functions, in f32 and f64: 3x3, strided, padded, dilated, grouped, depthwise and
// 1x1 (the plain-GEMM path) convolutions, batch 1, channel-slice views read in place,
// non-contiguous operands, and a batch large enough to be split into several chunks.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "ops/conv2d.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close_to_scale;
using cuda_test::scale_tol_for;

namespace {

struct ConvCase {
  Shape x, w;
  ops::Conv2dParams params;
  bool bias;
};

// Compares the four functions on x, w and a gradient, which may be views of bigger tensors
// (the caller moves each to the GPU by the same recipe).
void compare(const Tensor& x, const Tensor& w, const Tensor& b, const Tensor& dy, const Tensor& gx,
             const Tensor& gw, const Tensor& gb, const Tensor& gdy, const ops::Conv2dParams& p) {
  // cuBLAS and OpenBLAS sum the products in different orders.
  const double tol = scale_tol_for(x.dtype());
  require_close_to_scale(ops::conv2d_forward(gx, gw, gb, p), ops::conv2d_forward(x, w, b, p), tol);
  require_close_to_scale(ops::conv2d_backward_input(gdy, gw, x.shape(), p),
                         ops::conv2d_backward_input(dy, w, x.shape(), p), tol);
  require_close_to_scale(ops::conv2d_backward_weight(gdy, gx, w.shape(), p),
                         ops::conv2d_backward_weight(dy, x, w.shape(), p), tol);
  require_close_to_scale(ops::conv2d_backward_bias(gdy), ops::conv2d_backward_bias(dy), tol);
}

Shape output_shape(const ConvCase& c) {
  const Tensor probe = ops::conv2d_forward(zeros(c.x), zeros(c.w), Tensor(), c.params);
  return probe.shape();
}

const std::vector<ConvCase> kCases = {
    {{2, 3, 9, 9}, {4, 3, 3, 3}, ops::Conv2dParams::symmetric(1, 1), true},
    {{1, 4, 8, 7}, {6, 2, 3, 2}, {2, 1, 1, 0, 1, 2, 2}, true},
    {{3, 8, 5, 5}, {4, 8, 1, 1}, ops::Conv2dParams::symmetric(1, 0), false},
    {{2, 8, 4, 4}, {8, 2, 1, 1}, ops::Conv2dParams::symmetric(1, 0, 1, 4), true},
    {{2, 4, 7, 7}, {5, 4, 1, 1}, ops::Conv2dParams::symmetric(2, 0), false},
    {{2, 6, 6, 6}, {6, 1, 3, 3}, ops::Conv2dParams::symmetric(1, 1, 1, 6), false},
    {{1, 2, 11, 11}, {3, 2, 5, 5}, ops::Conv2dParams::symmetric(1, 4, 2), true},
    {{2, 3, 6, 5}, {2, 3, 4, 4}, ops::Conv2dParams::symmetric(3, 2), true},
};

}  // namespace

TEST_CASE("conv2d on CUDA matches the CPU on contiguous operands", "[cuda]") {
  Generator gen(101);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const ConvCase& c : kCases) {
      INFO(dtype_name(dtype) << " x " << c.x << " w " << c.w << " groups " << c.params.groups);
      const Tensor x = randn(c.x, gen, dtype);
      const Tensor w = randn(c.w, gen, dtype);
      const Tensor b = c.bias ? randn({c.w[0]}, gen, dtype) : Tensor();
      const Tensor dy = randn(output_shape(c), gen, dtype);
      compare(x, w, b, dy, x.to(kGpu), w.to(kGpu), b.defined() ? b.to(kGpu) : Tensor(), dy.to(kGpu),
              c.params);
    }
  }
}

TEST_CASE("conv2d on CUDA reads channel slices in place and copies other views", "[cuda]") {
  Generator gen(102);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const ConvCase& c : kCases) {
      INFO(dtype_name(dtype) << " x " << c.x << " w " << c.w);
      // x and dy as channel slices of bigger tensors, as an HS-block split hands them out.
      const Shape y_shape = output_shape(c);
      const Tensor x_big = randn({c.x[0], c.x[1] + 3, c.x[2], c.x[3]}, gen, dtype);
      const Tensor dy_big = randn({y_shape[0], y_shape[1] + 2, y_shape[2], y_shape[3]}, gen, dtype);
      const Tensor w = randn(c.w, gen, dtype);
      const Tensor x = x_big.narrow(1, 2, c.x[1]);
      const Tensor dy = dy_big.narrow(1, 1, y_shape[1]);
      const Tensor gx = x_big.to(kGpu).narrow(1, 2, c.x[1]);
      const Tensor gdy = dy_big.to(kGpu).narrow(1, 1, y_shape[1]);
      compare(x, w, Tensor(), dy, gx, w.to(kGpu), Tensor(), gdy, c.params);

      // Strides the planes cannot be read with (H and W swapped twice), on fresh values: a
      // repeat of the computation above could pass by finding its result in a reused block.
      const Tensor xt = randn(c.x, gen, dtype).transpose(2, 3).contiguous().transpose(2, 3);
      const Tensor gxt = xt.to(kGpu).transpose(2, 3).contiguous().transpose(2, 3);
      REQUIRE(!gxt.is_contiguous());
      compare(xt, w, Tensor(), dy, gxt, w.to(kGpu), Tensor(), gdy, c.params);
    }
  }
}

TEST_CASE("conv2d on CUDA splits a large batch into chunks correctly", "[cuda]") {
  // 60 images of 64 channels at 32x32 with a 3x3 kernel need more column-matrix scratch than
  // one chunk holds (2^25 elements), in the forward and in both backward functions.
  Generator gen(103);
  const ops::Conv2dParams p = ops::Conv2dParams::symmetric(1, 1);
  const Tensor x = randn({60, 64, 32, 32}, gen);
  const Tensor w = randn({32, 64, 3, 3}, gen, DType::f32, 0.0, 0.05);
  const Tensor b = randn({32}, gen);
  const Tensor dy = randn({60, 32, 32, 32}, gen);
  compare(x, w, b, dy, x.to(kGpu), w.to(kGpu), b.to(kGpu), dy.to(kGpu), p);
}

TEST_CASE("conv2d on CUDA rejects operands on different devices", "[cuda]") {
  Generator gen(104);
  const Tensor x = randn({1, 2, 5, 5}, gen), w = randn({3, 2, 3, 3}, gen);
  const ops::Conv2dParams p = ops::Conv2dParams::symmetric(1, 1);
  REQUIRE_THROWS_WITH(ops::conv2d_forward(x.to(kGpu), w, Tensor(), p), Catch::Contains("devices"));
  REQUIRE_THROWS_WITH(ops::conv2d_forward(x.to(kGpu), w.to(kGpu), randn({3}, gen), p),
                      Catch::Contains("devices"));
  const Tensor dy = randn({1, 3, 5, 5}, gen);
  REQUIRE_THROWS_WITH(ops::conv2d_backward_input(dy.to(kGpu), w, x.shape(), p),
                      Catch::Contains("devices"));
  REQUIRE_THROWS_WITH(ops::conv2d_backward_weight(dy, x.to(kGpu), w.shape(), p),
                      Catch::Contains("devices"));
}
