#pragma once
// The caching allocator behind every CUDA tensor. Requests are rounded up to size classes;
// freed blocks stay in per-class free lists and serve later requests of the same class, so
// a training loop that repeats the same shapes stops calling cudaMalloc after its first
// step. Blocks are reused without synchronising because all hsnet work runs in order on
// the one hsnet stream (cuda/stream.h). Thread-safe.
#include <cstddef>
#include <cstdint>

namespace hs::cuda {

struct AllocatorStats {
  std::size_t bytes_in_use = 0;   // size classes of the blocks currently handed out
  std::size_t bytes_cached = 0;   // size classes of the freed blocks kept for reuse
  std::int64_t malloc_calls = 0;  // cudaMalloc calls since the process started
};

// The size class serving a request of `nbytes`: a multiple of 512 B up to 1 MiB, above
// that a multiple of a quarter of the largest power of two not above nbytes (<= 25% waste).
std::size_t allocation_size(std::size_t nbytes);

// A device block of at least `nbytes` (a fresh one for 0 too). When the GPU is full, the
// cache is released and the request retried once; then an hs::Error saying "out of
// memory" with the bytes asked and the bytes free. With NaN filling on, the block is filled
// with 0xFF bytes first.
void* allocate(std::size_t nbytes);

// NaN filling, for tests: a block handed out, fresh or reused, holds 0xFF bytes (NaN in f32
// and f64, -1 in i64) instead of whatever its last user left, so a kernel that writes
// nothing (or only part of its output) cannot pass by reading the result of an earlier
// identical computation. Off by default; on when the environment variable
// HSNET_CUDA_FILL_NAN is set to 1 at the first allocation (the CUDA tests set it).
inline constexpr const char* kFillNanEnvironmentVariable = "HSNET_CUDA_FILL_NAN";
void set_fill_nan(bool on);
bool fill_nan();

// Returns a block from allocate() to the cache; nullptr is ignored, any other pointer
// not handed out by allocate() is an hs::Error.
void deallocate(void* ptr);

// Gives every cached (free) block back to the driver.
void empty_cache();

AllocatorStats allocator_stats();

}  // namespace hs::cuda
