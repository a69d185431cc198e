// CUDA batch norm and fused BN + ReLU against their CPU twins on the same random inputs:
// training statistics and the running-statistic update, eval mode, with and without the
// affine parameters, 4-D and 2-D inputs, channel-slice views, forward and backward, f32 and
// f64; and a badly conditioned channel (large mean, small spread) for the two-pass variance.
#include <catch2/catch.hpp>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "nn/batch_norm.h"
#include "ops/batch_norm.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close;
using cuda_test::require_close_to_scale;
using cuda_test::scale_tol_for;

namespace {

Tensor gpu_or_none(const Tensor& t) { return t.defined() ? t.to(kGpu) : Tensor(); }

double elem_tol(DType dtype) { return dtype == DType::f32 ? 1e-5 : 1e-12; }

// Runs forward and backward of one configuration on both devices and compares everything,
// the running statistics included. x is given on the CPU and as its GPU twin.
void compare(const Tensor& x, const Tensor& gx, bool affine, bool training, bool relu,
             Generator& gen) {
  const DType dtype = x.dtype();
  const std::int64_t channels = x.size(1);
  const Tensor gamma = affine ? rand({channels}, gen, dtype, 0.5, 1.5) : Tensor();
  const Tensor beta = affine ? randn({channels}, gen, dtype) : Tensor();
  Tensor mean = randn({channels}, gen, dtype), var = rand({channels}, gen, dtype, 0.5, 2.0);
  Tensor gmean = mean.to(kGpu), gvar = var.to(kGpu);
  auto forward = relu ? ops::batch_norm_relu_forward : ops::batch_norm_forward;
  const ops::BatchNormForward cpu = forward(x, gamma, beta, mean, var, training, 0.1, 1e-5);
  const ops::BatchNormForward gpu =
      forward(gx, gpu_or_none(gamma), gpu_or_none(beta), gmean, gvar, training, 0.1, 1e-5);
  const double tol = elem_tol(dtype);
  require_close(gpu.y, cpu.y, tol, tol);
  require_close(gpu.save_mean, cpu.save_mean, tol, tol);
  require_close(gpu.save_invstd, cpu.save_invstd, tol, tol);
  require_close(gmean, mean, tol, tol);
  require_close(gvar, var, tol, tol);

  const Tensor dy = randn(x.shape(), gen, dtype);
  const Tensor gdy = dy.to(kGpu);
  const ops::BatchNormGrads cg =
      relu ? ops::batch_norm_relu_backward(dy, cpu.y, x, gamma, cpu.save_mean, cpu.save_invstd,
                                           training)
           : ops::batch_norm_backward(dy, x, gamma, cpu.save_mean, cpu.save_invstd, training);
  // The GPU backward gets the CPU's saved statistics and output, so that only the backward
  // itself is compared.
  const Tensor gy = cpu.y.to(kGpu), gsm = cpu.save_mean.to(kGpu), gsi = cpu.save_invstd.to(kGpu);
  const ops::BatchNormGrads gg =
      relu ? ops::batch_norm_relu_backward(gdy, gy, gx, gpu_or_none(gamma), gsm, gsi, training)
           : ops::batch_norm_backward(gdy, gx, gpu_or_none(gamma), gsm, gsi, training);
  const double stol = scale_tol_for(dtype);
  require_close_to_scale(gg.dx, cg.dx, stol);
  require_close_to_scale(gg.dgamma, cg.dgamma, stol);
  require_close_to_scale(gg.dbeta, cg.dbeta, stol);
}

}  // namespace

TEST_CASE("batch norm on CUDA matches the CPU in every mode", "[cuda]") {
  Generator gen(201);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const Shape& shape :
         {Shape{4, 3, 5, 7}, Shape{1, 5, 4, 4}, Shape{6, 4}, Shape{64, 8, 9, 9}}) {
      for (const bool affine : {true, false})
        for (const bool training : {true, false})
          for (const bool relu : {false, true}) {
            INFO(dtype_name(dtype) << " " << shape << " affine " << affine << " training "
                                   << training << " relu " << relu);
            // Fresh values for each mode: a kernel that wrote nothing could otherwise pass
            // by finding the previous mode's result in a reused block.
            const Tensor x = randn(shape, gen, dtype, 0.5, 2.0);
            compare(x, x.to(kGpu), affine, training, relu, gen);
          }
    }
  }
}

TEST_CASE("batch norm on CUDA reads channel slices and strided views", "[cuda]") {
  Generator gen(202);
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor big = randn({3, 7, 6, 5}, gen, dtype);
    const Tensor gbig = big.to(kGpu);
    compare(big.narrow(1, 2, 4), gbig.narrow(1, 2, 4), true, true, true, gen);
    // H and W transposed: the planes are not dense, so the operator copies them first.
    compare(big.transpose(2, 3), gbig.transpose(2, 3), true, true, false, gen);
  }
}

TEST_CASE("batch norm on CUDA keeps the variance of a far-off-centre channel", "[cuda]") {
  // Values 1000 ± 0.01: a one-pass E[x²] − E[x]² in f32 would lose every digit.
  Generator gen(203);
  const Tensor x = randn({32, 2, 8, 8}, gen, DType::f32, 1000.0, 0.01);
  Tensor mean = zeros({2}), var = ones({2});
  Tensor gmean = mean.to(kGpu), gvar = var.to(kGpu);
  const ops::BatchNormForward cpu = ops::batch_norm_forward(x, {}, {}, mean, var, true);
  const ops::BatchNormForward gpu = ops::batch_norm_forward(x.to(kGpu), {}, {}, gmean, gvar, true);
  require_close(gpu.save_invstd, cpu.save_invstd, 1e-4, 0);
  require_close(gvar, var, 1e-4, 1e-9);
  require_close(gpu.y, cpu.y, 1e-3, 1e-3);
}

TEST_CASE("batch norm on CUDA rejects tensors on different devices", "[cuda]") {
  Generator gen(204);
  const Tensor x = randn({2, 3, 4, 4}, gen).to(kGpu);
  const Tensor cpu_param = ones({3});
  REQUIRE_THROWS_WITH(ops::batch_norm_forward(x, cpu_param, {}, {}, {}, true),
                      Catch::Contains("devices"));
  REQUIRE_THROWS_WITH(ops::batch_norm_forward(x, {}, {}, zeros({3}), ones({3}), true),
                      Catch::Contains("devices"));
  const ops::BatchNormForward f = ops::batch_norm_forward(x, {}, {}, {}, {}, true);
  REQUIRE_THROWS_WITH(
      ops::batch_norm_backward(randn({2, 3, 4, 4}, gen), x, {}, f.save_mean, f.save_invstd, true),
      Catch::Contains("devices"));
}

TEST_CASE("BatchNorm2d on CUDA counts its training batches on the device", "[cuda]") {
  nn::BatchNorm2d bn(3);
  bn.to(kGpu);
  Generator gen(7);
  const Variable x(randn({4, 3, 5, 5}, gen).to(kGpu));
  bn.forward(x);
  bn.forward(x);
  REQUIRE(bn.num_batches_tracked.is_cuda());
  REQUIRE(bn.num_batches_tracked.to(Device::cpu()).data<std::int64_t>()[0] == 2);
  bn.eval();
  bn.forward(x);
  REQUIRE(bn.num_batches_tracked.to(Device::cpu()).data<std::int64_t>()[0] == 2);
}
