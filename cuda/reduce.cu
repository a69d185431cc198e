// sum_reduce: `in` viewed as [outer, reduced, inner] (contiguous) summed over the middle
// extent. When the reduced elements of an output are contiguous (inner == 1) and at least a
// block wide, one block owns one output and reduces it in shared memory; otherwise one
// thread owns one output and walks the reduced extent (for inner > 1, neighbouring threads
// read neighbouring addresses). Floating sums accumulate in double.
#include <cstdint>
#include <type_traits>

#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/reduce.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

template <class T>
using Accumulator = std::conditional_t<std::is_floating_point_v<T>, double, T>;

template <class T>
__global__ void sum_strided_rows_kernel(T* out, const T* in, std::int64_t outer,
                                        std::int64_t reduced, std::int64_t inner) {
  const std::int64_t n = outer * inner;
  for (std::int64_t j = grid_start(); j < n; j += grid_step()) {
    const std::int64_t o = j / inner;
    const std::int64_t i = j % inner;
    const T* first = in + o * reduced * inner + i;
    Accumulator<T> acc = 0;
    for (std::int64_t r = 0; r < reduced; ++r) acc += first[r * inner];
    out[j] = static_cast<T>(acc);
  }
}

// Launched with kBlockSize threads; every thread of a block walks the same rows, so the
// barriers are reached by all of them.
template <class T>
__global__ void sum_contiguous_rows_kernel(T* out, const T* in, std::int64_t outer,
                                           std::int64_t reduced) {
  __shared__ Accumulator<T> partial[kBlockSize];
  const int t = threadIdx.x;
  for (std::int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const T* row = in + o * reduced;
    Accumulator<T> acc = 0;
    for (std::int64_t r = t; r < reduced; r += kBlockSize) acc += row[r];
    partial[t] = acc;
    __syncthreads();
    for (int half = kBlockSize / 2; half > 0; half /= 2) {
      if (t < half) partial[t] += partial[t + half];
      __syncthreads();
    }
    if (t == 0) out[o] = static_cast<T>(partial[0]);
    __syncthreads();  // partial[0] is read before the next row overwrites it
  }
}

}  // namespace

void sum_reduce(const StridedRef& out, const StridedRef& in, std::int64_t outer,
                std::int64_t reduced, std::int64_t inner) {
  HS_CHECK(out.dtype == in.dtype, "cuda sum_reduce: input is ", dtype_name(in.dtype),
           " but the output is ", dtype_name(out.dtype));
  const std::int64_t n = outer * inner;
  if (n == 0) return;
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* o = static_cast<T*>(out.data);
    const auto* x = static_cast<const T*>(in.data);
    if (inner == 1 && reduced >= kBlockSize) {
      const auto blocks = static_cast<unsigned>(std::min(outer, kMaxBlocks));
      sum_contiguous_rows_kernel<<<blocks, kBlockSize, 0, stream()>>>(o, x, outer, reduced);
    } else {
      sum_strided_rows_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(o, x, outer, reduced,
                                                                         inner);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
