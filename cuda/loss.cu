// Cross-entropy and label ranks on the GPU, one thread per row with the CPU's row
// arithmetic (kernels/loss_math.h); the batch mean of the row losses is summed in
// double by one block.
#include <cstdint>

#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/loss.h"
#include "cuda/scratch.h"
#include "cuda/stream.h"
#include "kernels/loss_math.h"

namespace hs::cuda {
namespace {

using std::int64_t;

template <class T>
__global__ void cross_entropy_rows_kernel(int64_t rows, int64_t classes, const T* logits,
                                          const int64_t* labels, int64_t label_stride,
                                          double on_label, double everywhere, T* softmax,
                                          double* row_loss) {
  for (int64_t n = grid_start(); n < rows; n += grid_step()) {
    row_loss[n] =
        ops::softmax_cross_entropy_row(logits + n * classes, softmax + n * classes, classes,
                                       labels[n * label_stride], on_label, everywhere);
  }
}

// Launched as one block of kBlockSize threads: loss[0] = mean of row_loss.
template <class T>
__global__ void mean_loss_kernel(const double* row_loss, int64_t rows, T* loss) {
  __shared__ double partial[kBlockSize];
  double sum = 0;
  for (int64_t n = threadIdx.x; n < rows; n += blockDim.x) sum += row_loss[n];
  const double total = block_sum(sum, partial);
  if (threadIdx.x == 0) loss[0] = static_cast<T>(total / rows);
}

template <class T>
__global__ void cross_entropy_backward_kernel(int64_t rows, int64_t classes, const double* grad,
                                              const T* softmax, const int64_t* labels,
                                              int64_t label_stride, double on_label,
                                              double everywhere, T* dlogits) {
  const double scale = grad[0] / rows;
  const T s = static_cast<T>(scale), off = static_cast<T>(everywhere);
  const T label_share = static_cast<T>(on_label * scale);
  const int64_t n_total = rows * classes;
  for (int64_t idx = grid_start(); idx < n_total; idx += grid_step()) {
    const int64_t n = idx / classes, k = idx % classes;
    dlogits[idx] =
        ops::cross_entropy_grad(softmax[idx], k == labels[n * label_stride], s, off, label_share);
  }
}

template <class T>
__global__ void label_ranks_kernel(int64_t rows, int64_t classes, const T* logits,
                                   const int64_t* labels, int64_t label_stride, int64_t* ranks) {
  for (int64_t n = grid_start(); n < rows; n += grid_step())
    ranks[n] = ops::rank_of_label(logits + n * classes, classes, labels[n * label_stride]);
}

void check_sizes(const char* op, DType dtype, int64_t rows, int64_t classes) {
  HS_CHECK(is_floating(dtype), "cuda ", op, ": needs f32 or f64, got ", dtype_name(dtype));
  HS_CHECK(rows >= 1 && classes >= 1, "cuda ", op, ": needs at least one row and class, got ", rows,
           " x ", classes);
}

}  // namespace

void cross_entropy_forward(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                           const std::int64_t* labels, std::int64_t label_stride, double on_label,
                           double everywhere, void* softmax, void* loss) {
  check_sizes("cross_entropy_forward", dtype, rows, classes);
  Scratch row_loss(rows * sizeof(double));
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_rows_kernel<T><<<grid_size(rows), kBlockSize, 0, stream()>>>(
        rows, classes, static_cast<const T*>(logits), labels, label_stride, on_label, everywhere,
        static_cast<T*>(softmax), row_loss.as<double>());
    HS_CUDA_CHECK(cudaGetLastError());
    mean_loss_kernel<T>
        <<<1, kBlockSize, 0, stream()>>>(row_loss.as<double>(), rows, static_cast<T*>(loss));
    HS_CUDA_CHECK(cudaGetLastError());
  });
}

void cross_entropy_backward(DType dtype, std::int64_t rows, std::int64_t classes,
                            const double* grad, const void* softmax, const std::int64_t* labels,
                            std::int64_t label_stride, double on_label, double everywhere,
                            void* dlogits) {
  check_sizes("cross_entropy_backward", dtype, rows, classes);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_backward_kernel<T><<<grid_size(rows * classes), kBlockSize, 0, stream()>>>(
        rows, classes, grad, static_cast<const T*>(softmax), labels, label_stride, on_label,
        everywhere, static_cast<T*>(dlogits));
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void label_ranks(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                 const std::int64_t* labels, std::int64_t label_stride, std::int64_t* ranks) {
  check_sizes("label_ranks", dtype, rows, classes);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    label_ranks_kernel<T><<<grid_size(rows), kBlockSize, 0, stream()>>>(
        rows, classes, static_cast<const T*>(logits), labels, label_stride, ranks);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
