// The CUDA DeviceBackend through the Tensor API: copies between devices, dtype conversion,
// fill and strided copies on the device, each compared with the same steps on the CPU.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "core/backend.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_equal;

TEST_CASE("copies to the device and back keep every value", "[cuda]") {
  Generator gen(1);
  for (const DType dtype : {DType::f32, DType::f64}) {
    const Tensor x = randn({3, 4, 5}, gen, dtype);
    const Tensor g = x.to(kGpu);
    CHECK(g.is_cuda());
    CHECK(g.dtype() == dtype);
    require_equal(g, x);
  }
  const Tensor labels = from_vector<std::int64_t>({7, -3, 0, 1ll << 40, 5, 2}, {2, 3});
  require_equal(labels.to(kGpu), labels);
}

TEST_CASE("empty and 0-d tensors move between devices", "[cuda]") {
  const Tensor none = zeros({0, 3});
  const Tensor g = none.to(kGpu);
  CHECK(g.numel() == 0);
  CHECK(g.shape() == Shape{0, 3});
  CHECK(g.to(Device::cpu()).shape() == Shape{0, 3});

  const Tensor s = scalar_tensor(-1.25, DType::f64);
  CHECK(s.to(kGpu).item() == -1.25);
}

TEST_CASE("to(dtype) on the device converts like the CPU", "[cuda]") {
  Generator gen(2);
  const Tensor f = randn({4, 6}, gen, DType::f64, 0.0, 20.0);
  const std::vector<std::pair<DType, DType>> pairs = {
      {DType::f64, DType::f32}, {DType::f32, DType::f64}, {DType::f64, DType::i64},
      {DType::f32, DType::i64}, {DType::i64, DType::f32}, {DType::i64, DType::f64}};
  for (const auto& [from, to] : pairs) {
    INFO(dtype_name(from) << " -> " << dtype_name(to));
    const Tensor x = f.to(from);
    require_equal(x.to(kGpu).to(to), x.to(to));
  }
}

TEST_CASE("conversions of non-contiguous device tensors follow their strides", "[cuda]") {
  Generator gen(3);
  const Tensor x = randn({5, 4, 3}, gen, DType::f64);
  const Tensor view = x.transpose(0, 2).narrow(1, 1, 2);
  const Tensor gview = x.to(kGpu).transpose(0, 2).narrow(1, 1, 2);
  require_equal(gview.to(DType::f32), view.to(DType::f32));
  require_equal(gview.to(DType::i64), view.to(DType::i64));
}

TEST_CASE("contiguous() of device views matches the CPU", "[cuda]") {
  Generator gen(4);
  const Tensor x = randn({3, 4, 5}, gen);
  const Tensor g = x.to(kGpu);
  require_equal(g.transpose(0, 2).contiguous(), x.transpose(0, 2).contiguous());
  require_equal(g.permute({1, 2, 0}).contiguous(), x.permute({1, 2, 0}).contiguous());
  require_equal(g.narrow(1, 1, 2).contiguous(), x.narrow(1, 1, 2).contiguous());
  require_equal(g.narrow(2, 4, 1).squeeze(2).contiguous(),
                x.narrow(2, 4, 1).squeeze(2).contiguous());
  const Tensor row = x.narrow(0, 1, 1);
  require_equal(g.narrow(0, 1, 1).expand({6, 4, 5}).contiguous(),
                row.expand({6, 4, 5}).contiguous());
  const Tensor big = randn({70, 33, 41}, gen);
  require_equal(big.to(kGpu).permute({2, 0, 1}).contiguous(), big.permute({2, 0, 1}).contiguous());
}

TEST_CASE("fill_ on the device covers exactly the viewed elements", "[cuda]") {
  for (const DType dtype : {DType::f32, DType::f64, DType::i64}) {
    INFO(dtype_name(dtype));
    Tensor cpu = arange(60, dtype).view({3, 4, 5});
    Tensor gpu = cpu.to(kGpu);
    cpu.transpose(0, 2).narrow(0, 1, 3).fill_(-7.0);
    gpu.transpose(0, 2).narrow(0, 1, 3).fill_(-7.0);
    require_equal(gpu, cpu);
    cpu.fill_(2.0);
    gpu.fill_(2.0);
    require_equal(gpu, cpu);
  }
}

TEST_CASE("copy_ converts and follows strides on and across devices", "[cuda]") {
  Generator gen(5);
  const Tensor src = randn({4, 6}, gen);
  Tensor cpu = zeros({6, 4}, DType::f64);
  Tensor gpu = zeros({6, 4}, {DType::f64, kGpu});
  cpu.transpose(0, 1).copy_(src);
  gpu.transpose(0, 1).copy_(src.to(kGpu));
  require_equal(gpu, cpu);

  Tensor into_gpu = zeros({4, 6}, {DType::f32, kGpu});
  into_gpu.copy_(src);
  require_equal(into_gpu, src);
  Tensor into_cpu = zeros({4, 6});
  into_cpu.copy_(into_gpu);
  CHECK(into_cpu.to_vector<float>() == src.to_vector<float>());
}

TEST_CASE("clone of a device tensor is an independent device copy", "[cuda]") {
  Generator gen(6);
  const Tensor x = randn({8, 3}, gen);
  Tensor g = x.to(kGpu);
  const Tensor copy = g.clone();
  CHECK(copy.is_cuda());
  CHECK(!copy.shares_storage_with(g));
  g.fill_(0.0);
  require_equal(copy, x);
}

TEST_CASE("factories create device tensors with the CPU's values", "[cuda]") {
  const TensorOptions on_gpu(DType::f32, kGpu);
  require_equal(zeros({2, 3}, on_gpu), zeros({2, 3}));
  require_equal(ones({5}, on_gpu), ones({5}));
  require_equal(full({3, 2}, 4.5, on_gpu), full({3, 2}, 4.5));
  require_equal(arange(7, {DType::i64, kGpu}), arange(7, DType::i64));
  Generator a(9), b(9);
  require_equal(randn({4, 5}, a, on_gpu), randn({4, 5}, b));
}

TEST_CASE("using a GPU that does not exist is an hs::Error", "[cuda]") {
  REQUIRE_THROWS_WITH(zeros({2}, {DType::f32, Device::cuda(cuda_device_count())}),
                      Catch::Contains("cuda:"));
}
