// Softmax on the GPU with the CPU's row arithmetic (kernels/softmax_math.h): one thread per
// row of the [outer, n, inner] view, so both devices compute every row the same way.
#include <cstdint>

#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/softmax.h"
#include "cuda/stream.h"
#include "kernels/softmax_math.h"

namespace hs::cuda {
namespace {

using std::int64_t;

template <class T>
__global__ void softmax_kernel(const T* x, T* y, int64_t n, int64_t inner, int64_t rows) {
  for (int64_t r = grid_start(); r < rows; r += grid_step()) {
    const int64_t start = (r / inner) * n * inner + r % inner;
    ops::softmax_row(x + start, y + start, n, inner);
  }
}

template <class T>
__global__ void softmax_backward_kernel(const T* y, const T* dy, T* dx, int64_t n, int64_t inner,
                                        int64_t rows) {
  for (int64_t r = grid_start(); r < rows; r += grid_step()) {
    const int64_t start = (r / inner) * n * inner + r % inner;
    ops::softmax_backward_row(y + start, dy + start, dx + start, n, inner);
  }
}

}  // namespace

void softmax_forward(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                     const void* x, void* y) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    softmax_kernel<T><<<grid_size(rows), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(x), static_cast<T*>(y), n, inner, rows);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void softmax_backward(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                      const void* y, const void* dy, void* dx) {
  const int64_t rows = outer * inner;
  if (rows == 0 || n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    softmax_backward_kernel<T><<<grid_size(rows), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(y), static_cast<const T*>(dy), static_cast<T*>(dx), n, inner, rows);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
