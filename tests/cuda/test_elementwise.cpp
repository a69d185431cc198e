// Each CUDA operator against its CPU twin on the same random inputs: binary ops with
// broadcasting, scalar ops, unary math and its backward, add_, sums and means, matmul
// (plain, batched, transposed operands) and cat.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "ops/cat.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

using namespace hs;
using cuda_test::atol_for;
using cuda_test::kGpu;
using cuda_test::require_close;
using cuda_test::require_equal;
using cuda_test::rtol_for;

namespace {

const std::vector<ops::BinaryOp> kBinaryOps = {ops::BinaryOp::add, ops::BinaryOp::sub,
                                               ops::BinaryOp::mul, ops::BinaryOp::div};
const std::vector<ops::UnaryOp> kUnaryOps = {ops::UnaryOp::neg,     ops::UnaryOp::relu,
                                             ops::UnaryOp::exp,     ops::UnaryOp::log,
                                             ops::UnaryOp::sigmoid, ops::UnaryOp::tanh};

// Inputs every unary op is defined on: log gets positive values.
Tensor unary_input(ops::UnaryOp op, const Shape& shape, Generator& gen, DType dtype) {
  if (op == ops::UnaryOp::log) return rand(shape, gen, dtype, 0.1, 3.0);
  return randn(shape, gen, dtype, 0.0, 2.0);
}

}  // namespace

TEST_CASE("binary ops with broadcasting and strided operands match the CPU", "[cuda]") {
  Generator gen(11);
  const std::vector<std::pair<Shape, Shape>> shapes = {{{4, 3, 5}, {4, 3, 5}},
                                                       {{4, 1, 5}, {3, 1}},
                                                       {{2, 3}, {}},
                                                       {{1}, {6, 7}},
                                                       {{300, 257}, {257}}};
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const auto& [sa, sb] : shapes) {
      // b stays away from 0 so that div is well conditioned.
      const Tensor a = randn(sa, gen, dtype);
      const Tensor b = rand(sb, gen, dtype, 0.5, 2.0);
      for (const ops::BinaryOp op : kBinaryOps) {
        INFO(dtype_name(dtype) << " op " << static_cast<int>(op) << " " << sa << " with " << sb);
        require_close(ops::binary(op, a.to(kGpu), b.to(kGpu)), ops::binary(op, a, b),
                      rtol_for(dtype), atol_for(dtype));
      }
    }
    // A transposed operand (to() would make it contiguous, so transpose on the device).
    const Tensor a = randn({6, 5}, gen, dtype);
    const Tensor b = rand({5, 6}, gen, dtype, 0.5, 2.0);
    for (const ops::BinaryOp op : kBinaryOps) {
      require_close(ops::binary(op, a.to(kGpu).transpose(0, 1), b.to(kGpu)),
                    ops::binary(op, a.transpose(0, 1), b), rtol_for(dtype), atol_for(dtype));
    }
  }
}

TEST_CASE("i64 add, sub and mul match the CPU exactly", "[cuda]") {
  const Tensor a = arange(24, DType::i64).view({2, 3, 4});
  const Tensor b = from_vector<std::int64_t>({5, -2, 1ll << 33, 0}, {4});
  for (const ops::BinaryOp op : {ops::BinaryOp::add, ops::BinaryOp::sub, ops::BinaryOp::mul}) {
    require_equal(ops::binary(op, a.to(kGpu), b.to(kGpu)), ops::binary(op, a, b));
    require_equal(ops::binary(op, a.to(kGpu), 3.0), ops::binary(op, a, 3.0));
  }
}

TEST_CASE("binary ops with a scalar match the CPU", "[cuda]") {
  Generator gen(12);
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor a = randn({7, 9}, gen, dtype);
    for (const ops::BinaryOp op : kBinaryOps) {
      require_close(ops::binary(op, a.to(kGpu), 2.5), ops::binary(op, a, 2.5), rtol_for(dtype),
                    atol_for(dtype));
      require_close(ops::binary(op, a.to(kGpu).transpose(0, 1), -0.75),
                    ops::binary(op, a.transpose(0, 1), -0.75), rtol_for(dtype), atol_for(dtype));
    }
  }
}

TEST_CASE("unary ops match the CPU on contiguous and strided inputs", "[cuda]") {
  Generator gen(13);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const ops::UnaryOp op : kUnaryOps) {
      INFO(dtype_name(dtype) << " op " << static_cast<int>(op));
      const Tensor x = unary_input(op, {33, 65}, gen, dtype);
      require_close(ops::unary(op, x.to(kGpu)), ops::unary(op, x), rtol_for(dtype),
                    atol_for(dtype));
      require_close(ops::unary(op, x.to(kGpu).transpose(0, 1).narrow(0, 3, 50)),
                    ops::unary(op, x.transpose(0, 1).narrow(0, 3, 50)), rtol_for(dtype),
                    atol_for(dtype));
    }
  }
}

TEST_CASE("unary backward matches the CPU with and without the unneeded operand", "[cuda]") {
  Generator gen(14);
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const ops::UnaryOp op : kUnaryOps) {
      INFO(dtype_name(dtype) << " op " << static_cast<int>(op));
      const Tensor x = unary_input(op, {17, 19}, gen, dtype);
      const Tensor y = ops::unary(op, x);
      const Tensor grad = randn({17, 19}, gen, dtype);
      const Tensor gx = x.to(kGpu), gy = y.to(kGpu), ggrad = grad.to(kGpu);
      require_close(ops::unary_backward(op, ggrad, gx, gy), ops::unary_backward(op, grad, x, y),
                    rtol_for(dtype), atol_for(dtype));
      // Each comparison on a fresh gradient: a kernel that wrote nothing must not pass by
      // finding the previous comparison's result in a reused block.
      const bool uses_x = op == ops::UnaryOp::log;
      const Tensor grad2 = randn({17, 19}, gen, dtype);
      require_close(
          ops::unary_backward(op, grad2.to(kGpu), uses_x ? gx : Tensor(), uses_x ? Tensor() : gy),
          ops::unary_backward(op, grad2, x, y), rtol_for(dtype), atol_for(dtype));
      // A transposed grad takes the strided kernel.
      const Tensor grad3 = randn({17, 19}, gen, dtype);
      require_close(
          ops::unary_backward(op, grad3.to(kGpu).transpose(0, 1), gx.transpose(0, 1),
                              gy.transpose(0, 1)),
          ops::unary_backward(op, grad3.transpose(0, 1), x.transpose(0, 1), y.transpose(0, 1)),
          rtol_for(dtype), atol_for(dtype));
    }
  }
}

TEST_CASE("add_ accumulates into device tensors like the CPU", "[cuda]") {
  Generator gen(15);
  for (const DType dtype : {DType::f32, DType::f64}) {
    Tensor cpu = randn({5, 6}, gen, dtype);
    Tensor gpu = cpu.to(kGpu);
    const Tensor same = randn({5, 6}, gen, dtype);
    const Tensor row = randn({6}, gen, dtype);
    ops::add_(cpu, same, 0.5);
    ops::add_(gpu, same.to(kGpu), 0.5);
    require_close(gpu, cpu, rtol_for(dtype), atol_for(dtype));
    Tensor cpu_t = cpu.transpose(0, 1);
    Tensor gpu_t = gpu.transpose(0, 1);
    ops::add_(cpu_t, row.unsqueeze(1).expand({6, 5}), -2.0);
    ops::add_(gpu_t, row.to(kGpu).unsqueeze(1).expand({6, 5}), -2.0);
    require_close(gpu, cpu, rtol_for(dtype), atol_for(dtype));
  }
}

TEST_CASE("sum and mean over dims match the CPU", "[cuda]") {
  Generator gen(16);
  const std::vector<std::vector<std::int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {-1}, {0, 1}};
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor x = randn({4, 5, 6}, gen, dtype);
    const Tensor gx = x.to(kGpu);
    for (const auto& dims : dim_sets) {
      for (const bool keepdim : {false, true}) {
        INFO(dtype_name(dtype) << " dims " << Shape(dims) << " keepdim " << keepdim);
        require_close(ops::sum(gx, dims, keepdim), ops::sum(x, dims, keepdim), rtol_for(dtype),
                      atol_for(dtype));
        require_close(ops::mean(gx, dims, keepdim), ops::mean(x, dims, keepdim), rtol_for(dtype),
                      atol_for(dtype));
      }
    }
    require_close(ops::sum(gx.transpose(0, 2), {1}), ops::sum(x.transpose(0, 2), {1}),
                  rtol_for(dtype), atol_for(dtype));
  }
  const Tensor labels = arange(30, DType::i64).view({5, 6});
  require_equal(ops::sum(labels.to(kGpu), {0}), ops::sum(labels, {0}));
}

TEST_CASE("long f32 sums accumulate in double", "[cuda]") {
  // Rows long enough for the block reduction, columns long enough for the per-output loop;
  // the reference is the CPU's f64 sum of the same f32 values.
  Generator gen(17);
  for (const Shape& shape : {Shape{3, 70000}, Shape{70000, 3}, Shape{200001}}) {
    const Tensor x = randn(shape, gen);
    const Tensor gx = x.to(kGpu);
    for (const auto& dims : std::vector<std::vector<std::int64_t>>{{}, {0}, {-1}}) {
      INFO("shape " << shape << " dims " << Shape(dims));
      const Tensor reference = ops::sum(x.to(DType::f64), dims).to(DType::f32);
      require_close(ops::sum(gx, dims), reference, 1e-6, 1e-6);
    }
  }
}

TEST_CASE("sum_to undoes broadcasting on the device", "[cuda]") {
  Generator gen(18);
  const Tensor x = randn({4, 3, 5}, gen, DType::f64);
  for (const Shape& target : {Shape{3, 1}, Shape{4, 1, 5}, Shape{5}, Shape{}}) {
    require_close(ops::sum_to(x.to(kGpu), target), ops::sum_to(x, target), 1e-13, 1e-13);
  }
}

TEST_CASE("matmul matches the CPU for 2-D, 3-D and transposed operands", "[cuda]") {
  Generator gen(19);
  struct Case {
    std::int64_t batch, m, k, n;
    double f32_atol;
  };
  for (const Case c : {Case{0, 17, 33, 9, 2e-4}, Case{3, 17, 33, 9, 2e-4},
                       Case{0, 128, 256, 64, 1e-3}, Case{2, 1, 5, 1, 1e-5}}) {
    for (const DType dtype : {DType::f32, DType::f64}) {
      const bool batched = c.batch > 0;
      const auto shape = [&](std::int64_t rows, std::int64_t cols) {
        return batched ? Shape{c.batch, rows, cols} : Shape{rows, cols};
      };
      const int last = batched ? 2 : 1;
      const Tensor a = randn(shape(c.m, c.k), gen, dtype);
      const Tensor b = randn(shape(c.k, c.n), gen, dtype);
      const Tensor at = randn(shape(c.k, c.m), gen, dtype).transpose(last - 1, last);
      const Tensor bt = randn(shape(c.n, c.k), gen, dtype).transpose(last - 1, last);
      const auto gpu = [&](const Tensor& t) {
        return t.is_contiguous() ? t.to(kGpu)
                                 : t.transpose(last - 1, last).to(kGpu).transpose(last - 1, last);
      };
      const double atol = dtype == DType::f32 ? c.f32_atol : 1e-12;
      const double rtol = dtype == DType::f32 ? 1e-5 : 1e-12;
      INFO(dtype_name(dtype) << " batch " << c.batch << " m " << c.m << " k " << c.k << " n "
                             << c.n);
      require_close(ops::matmul(gpu(a), gpu(b)), ops::matmul(a, b), rtol, atol);
      require_close(ops::matmul(gpu(at), gpu(b)), ops::matmul(at, b), rtol, atol);
      require_close(ops::matmul(gpu(a), gpu(bt)), ops::matmul(a, bt), rtol, atol);
      require_close(ops::matmul(gpu(at), gpu(bt)), ops::matmul(at, bt), rtol, atol);
    }
  }
}

TEST_CASE("cat on the device matches the CPU", "[cuda]") {
  Generator gen(20);
  const std::vector<Tensor> parts = {randn({2, 3, 4}, gen), randn({2, 1, 4}, gen),
                                     randn({2, 5, 4}, gen)};
  std::vector<Tensor> on_gpu;
  for (const Tensor& p : parts) on_gpu.push_back(p.to(kGpu));
  require_equal(ops::cat(on_gpu, 1), ops::cat(parts, 1));
  require_equal(ops::cat({on_gpu[0], on_gpu[0]}, 0), ops::cat({parts[0], parts[0]}, 0));
  // Non-contiguous parts take the strided copy.
  require_equal(ops::cat({on_gpu[0].transpose(1, 2), on_gpu[2].transpose(1, 2)}, -1),
                ops::cat({parts[0].transpose(1, 2), parts[2].transpose(1, 2)}, -1));
  require_equal(ops::cat({on_gpu[0].narrow(2, 1, 3), on_gpu[1].narrow(2, 0, 3)}, 1),
                ops::cat({parts[0].narrow(2, 1, 3), parts[1].narrow(2, 0, 3)}, 1));
}

TEST_CASE("mixing CPU and CUDA operands is an hs::Error", "[cuda]") {
  const Tensor cpu = ones({2, 2});
  const Tensor gpu = ones({2, 2}, {DType::f32, kGpu});
  REQUIRE_THROWS_AS(ops::add(cpu, gpu), Error);
  REQUIRE_THROWS_AS(ops::matmul(gpu, cpu), Error);
}
