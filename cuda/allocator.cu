#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "cuda/allocator.h"
#include "cuda/check.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

constexpr std::size_t kMinBlock = 512;
constexpr std::size_t kSmallLimit = std::size_t{1} << 20;
// Beyond this no GPU could serve the request, and rounding up could overflow.
constexpr std::size_t kLargestRequest = std::size_t{1} << 62;

std::size_t round_up(std::size_t n, std::size_t multiple) {
  return (n + multiple - 1) / multiple * multiple;
}

std::atomic<bool>& fill_nan_flag() {
  static std::atomic<bool> flag = [] {
    const char* value = std::getenv(kFillNanEnvironmentVariable);
    return value != nullptr && std::strcmp(value, "1") == 0;
  }();
  return flag;
}

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;  // by size class
  std::unordered_map<void*, std::size_t> live_blocks;               // block -> size class
  AllocatorStats stats;
};

// Never destroyed: Storage destructors may return blocks during static destruction.
Cache& cache() {
  static Cache* const instance = new Cache;
  return *instance;
}

void release_cached_blocks(Cache& c) {
  // Kernels issued before a block was freed may still be reading it.
  HS_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto& [size, blocks] : c.free_blocks) {
    for (void* block : blocks) HS_CUDA_CHECK(cudaFree(block));
  }
  c.free_blocks.clear();
  c.stats.bytes_cached = 0;
}

[[noreturn]] void fail_out_of_memory(const Cache& c, std::size_t nbytes, std::size_t size) {
  std::size_t free_bytes = 0;
  std::size_t total_bytes = 0;
  if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) cudaGetLastError();
  HS_FAIL("cuda: out of memory: asked for ", nbytes, " bytes (block of ", size, " bytes) but ",
          free_bytes, " of ", total_bytes, " bytes are free on the GPU (", c.stats.bytes_in_use,
          " bytes in use by hsnet tensors)");
}

// cudaMalloc, and once more after releasing the cache if the GPU is full.
void* malloc_block(Cache& c, std::size_t nbytes, std::size_t size) {
  void* block = nullptr;
  ++c.stats.malloc_calls;
  cudaError_t err = cudaMalloc(&block, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clears the failure so later calls do not report it
    release_cached_blocks(c);
    ++c.stats.malloc_calls;
    err = cudaMalloc(&block, size);
  }
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    fail_out_of_memory(c, nbytes, size);
  }
  if (err != cudaSuccess) detail::throw_cuda_error(err, "cudaMalloc", __FILE__, __LINE__);
  return block;
}

}  // namespace

std::size_t allocation_size(std::size_t nbytes) {
  if (nbytes <= kSmallLimit) return std::max(kMinBlock, round_up(nbytes, kMinBlock));
  return round_up(nbytes, std::bit_floor(nbytes) / 4);
}

void* allocate(std::size_t nbytes) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  if (nbytes > kLargestRequest) fail_out_of_memory(c, nbytes, nbytes);
  const std::size_t size = allocation_size(nbytes);
  void* block = nullptr;
  auto cached = c.free_blocks.find(size);
  if (cached != c.free_blocks.end() && !cached->second.empty()) {
    block = cached->second.back();
    cached->second.pop_back();
    c.stats.bytes_cached -= size;
  } else {
    block = malloc_block(c, nbytes, size);
  }
  c.live_blocks.emplace(block, size);
  c.stats.bytes_in_use += size;
  // On the hsnet stream, so the fill lands after the work of the block's last user and
  // before any work of its new one.
  if (fill_nan_flag().load()) HS_CUDA_CHECK(cudaMemsetAsync(block, 0xFF, size, stream()));
  return block;
}

void deallocate(void* ptr) {
  if (ptr == nullptr) return;
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  const auto live = c.live_blocks.find(ptr);
  HS_CHECK(live != c.live_blocks.end(), "cuda: deallocate of ", ptr,
           ", which the caching allocator did not hand out (double free?)");
  const std::size_t size = live->second;
  c.live_blocks.erase(live);
  c.free_blocks[size].push_back(ptr);
  c.stats.bytes_in_use -= size;
  c.stats.bytes_cached += size;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  release_cached_blocks(c);
}

void set_fill_nan(bool on) { fill_nan_flag().store(on); }

bool fill_nan() { return fill_nan_flag().load(); }

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

}  // namespace hs::cuda
