#pragma once
// What the kernel launchers of cuda/*.cu share: the geometry of grid-stride loops, and
// StridedIndexers built from StridedRefs with their dims coalesced, so that operands laid
// out contiguously take a plain-index fast path and the others pay for as few dims as
// their layout needs. Include from .cu files only.
#include <algorithm>
#include <array>
#include <cstdint>

#include "core/backend.h"
#include "core/error.h"
#include "kernels/strided_index.h"

namespace hs::cuda {

constexpr int kBlockSize = 256;  // a power of two: the block reductions halve it
constexpr std::int64_t kMaxBlocks = 65536;

inline std::int64_t numel(const StridedRef& r) {
  std::int64_t n = 1;
  for (int d = 0; d < r.ndim; ++d) n *= r.sizes[d];
  return n;
}

// Blocks for a grid-stride loop over n elements (n > 0).
inline unsigned grid_size(std::int64_t n) {
  return static_cast<unsigned>(std::min((n + kBlockSize - 1) / kBlockSize, kMaxBlocks));
}

// First index and step of this thread's grid-stride loop.
__device__ inline std::int64_t grid_start() {
  return static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ inline std::int64_t grid_step() {
  return static_cast<std::int64_t>(gridDim.x) * blockDim.x;
}

// The sum of `value` over the threads of a block of kBlockSize threads, returned to every
// thread. Every thread of the block must call it (it has barriers); `shared` holds
// kBlockSize doubles.
__device__ inline double block_sum(double value, double* shared) {
  const int t = threadIdx.x;
  shared[t] = value;
  __syncthreads();
  for (int half = kBlockSize / 2; half > 0; half /= 2) {
    if (t < half) shared[t] += shared[t + half];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // everyone has read shared[0] before a later call overwrites it
  return total;
}

// An indexer over the sizes of operands[0] with each operand's strides (all operands have
// the same dims), its dims merged by core/merged_dims.h.
template <int N>
ops::StridedIndexer<N> coalesced_indexer(const std::array<StridedRef, N>& operands) {
  const StridedRef& shape = operands[0];
  for (int k = 1; k < N; ++k) {
    HS_CHECK(operands[k].ndim == shape.ndim, "cuda: operand ", k, " has ", operands[k].ndim,
             " dims but the iteration shape has ", shape.ndim);
  }
  ops::StridedIndexer<N> idx;
  for (int d = 0; d < shape.ndim; ++d)
    idx.push(shape.sizes[d], [&](int k) { return operands[k].strides[d]; });
  return idx;
}

// True when element i of every operand sits at offset i.
template <int N>
bool all_contiguous(const ops::StridedIndexer<N>& idx) {
  if (idx.ndim == 0) return true;
  if (idx.ndim > 1) return false;
  for (int k = 0; k < N; ++k) {
    if (idx.strides[k][0] != 1) return false;
  }
  return true;
}

}  // namespace hs::cuda
