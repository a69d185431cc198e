// The caching allocator: size classes, reuse of freed blocks (a repeated step makes no new
// cudaMalloc), releasing the cache, and out-of-memory reported as an hs::Error.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "cuda/allocator.h"
#include "device_compare.h"
#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

using namespace hs;
using cuda_test::kGpu;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// A stand-in for one training step: tensors of several sizes, temporaries, all freed.
double step(Generator& gen) {
  const Tensor x = randn({64, 300}, gen, {DType::f32, kGpu});
  const Tensor w = randn({300, 1000}, gen, {DType::f32, kGpu});
  const Tensor h = ops::relu(ops::matmul(x, w));
  const Tensor big = ones({3, 1024, 1024}, {DType::f32, kGpu});
  return ops::sum(ops::add(h, 1.0)).item() + ops::mean(big).item();
}

}  // namespace

TEST_CASE("allocation sizes round up to size classes", "[cuda]") {
  CHECK(cuda::allocation_size(0) == 512);
  CHECK(cuda::allocation_size(1) == 512);
  CHECK(cuda::allocation_size(512) == 512);
  CHECK(cuda::allocation_size(513) == 1024);
  CHECK(cuda::allocation_size(kMiB) == kMiB);
  CHECK(cuda::allocation_size(kMiB + 1) == kMiB + kMiB / 4);
  CHECK(cuda::allocation_size(3 * kMiB) == 3 * kMiB);
  CHECK(cuda::allocation_size(3 * kMiB + 1) == 3 * kMiB + kMiB / 2);
  CHECK(cuda::allocation_size(1000 * kMiB) == 1024 * kMiB);
  for (std::size_t n = 1; n < (std::size_t{1} << 40); n = n * 3 + 7) {
    const std::size_t size = cuda::allocation_size(n);
    CHECK(size >= n);
    CHECK(size <= n + n / 4 + 512);
  }
}

TEST_CASE("freed blocks are reused: a repeated step makes no new cudaMalloc", "[cuda]") {
  Generator gen(21);
  const cuda::AllocatorStats before = cuda::allocator_stats();
  step(gen);  // warm-up: fills the cache
  const cuda::AllocatorStats warm = cuda::allocator_stats();
  CHECK(warm.bytes_in_use == before.bytes_in_use);
  CHECK(warm.bytes_cached >= 3 * 4 * kMiB);
  for (int i = 0; i < 5; ++i) step(gen);
  const cuda::AllocatorStats after = cuda::allocator_stats();
  CHECK(after.malloc_calls == warm.malloc_calls);
  CHECK(after.bytes_in_use == before.bytes_in_use);
  CHECK(after.bytes_cached == warm.bytes_cached);
}

TEST_CASE("blocks in use are counted and empty_cache releases the free ones", "[cuda]") {
  const cuda::AllocatorStats start = cuda::allocator_stats();
  void* block = cuda::allocate(5000);
  CHECK(cuda::allocator_stats().bytes_in_use == start.bytes_in_use + 5120);
  cuda::deallocate(block);
  CHECK(cuda::allocator_stats().bytes_in_use == start.bytes_in_use);
  cuda::empty_cache();
  CHECK(cuda::allocator_stats().bytes_cached == 0);
  const std::int64_t calls = cuda::allocator_stats().malloc_calls;
  void* again = cuda::allocate(5000);
  CHECK(cuda::allocator_stats().malloc_calls == calls + 1);
  cuda::deallocate(again);
}

TEST_CASE("returning a block the allocator did not hand out is an hs::Error", "[cuda]") {
  int not_a_block = 0;
  REQUIRE_THROWS_WITH(cuda::deallocate(&not_a_block), Catch::Contains("did not hand out"));
  void* block = cuda::allocate(100);
  cuda::deallocate(block);
  REQUIRE_THROWS_AS(cuda::deallocate(block), Error);
}

TEST_CASE("an allocation larger than the GPU is an out-of-memory hs::Error", "[cuda]") {
  // 2^40 f32 elements: 4 TiB.
  REQUIRE_THROWS_WITH(empty({std::int64_t{1} << 20, std::int64_t{1} << 20}, {DType::f32, kGpu}),
                      Catch::Contains("out of memory") && Catch::Contains("4398046511104 bytes"));
  REQUIRE_THROWS_WITH(cuda::allocate(std::size_t{1} << 62), Catch::Contains("out of memory"));
  // The failure leaves the device usable.
  const Tensor x = full({1000}, 2.0, {DType::f32, kGpu});
  CHECK(ops::sum(x).item() == 2000.0);
}

TEST_CASE("with NaN filling, fresh and reused blocks hold NaN, never an old result", "[cuda]") {
  // The test environment turns it on (tests/meson.build); each case restores it.
  const bool was_on = cuda::fill_nan();
  cuda::set_fill_nan(true);
  cuda::empty_cache();
  const Shape shape = {3, 1000};
  const Tensor fresh = empty(shape, {DType::f32, kGpu});
  for (const double v : fresh.to(Device::cpu()).to_vector<double>()) REQUIRE(std::isnan(v));
  {
    const Tensor old = full(shape, 7.0, {DType::f32, kGpu});
    CHECK(ops::sum(old).item() == 21000.0);
  }
  // The block `old` held serves this request of the same size class.
  const std::int64_t calls = cuda::allocator_stats().malloc_calls;
  const Tensor reused = empty(shape, {DType::f32, kGpu});
  CHECK(cuda::allocator_stats().malloc_calls == calls);
  for (const double v : reused.to(Device::cpu()).to_vector<double>()) REQUIRE(std::isnan(v));
  const Tensor labels = empty({10}, {DType::i64, kGpu});
  for (const std::int64_t v : labels.to(Device::cpu()).to_vector<std::int64_t>()) CHECK(v == -1);
  cuda::set_fill_nan(false);
  { const Tensor old = full(shape, 7.0, {DType::f32, kGpu}); }
  // Off, the allocator hands the old bytes back: what NaN filling protects the tests from.
  const Tensor stale = empty(shape, {DType::f32, kGpu});
  CHECK(stale.to(Device::cpu()).to_vector<double>()[0] == 7.0);
  cuda::set_fill_nan(was_on);
}
