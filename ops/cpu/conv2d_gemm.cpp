#include "ops/cpu/conv2d_gemm.h"

#include <algorithm>
#include <cstring>

#include "core/threads.h"
#include "ops/cpu/im2col.h"
#include "ops/cpu/scratch.h"
#include "ops/cpu/thread_partials.h"
#include "ops/iteration.h"
#include "ops/matmul.h"

namespace hs::ops::detail {
namespace {

// Chunks are at least this many output columns wide (when the batch allows). Measured with
// bench/ops on the 8x8 HS-ResNet layers: 128 beats one image (64 columns) per GEMM by
// 10-20%, and beats 256 or more, whose column matrices (K = 504 rows) outgrow the L2 cache.
constexpr int64_t kMinGemmColumns = 128;

// Images [first, first + count) of the batch.
struct Chunk {
  int64_t first = 0, count = 1;
};

int64_t chunk_count(const Conv2dGeometry& d, const Conv2dCpuPlan& plan) {
  return (d.batch + plan.images_per_gemm - 1) / plan.images_per_gemm;
}

Chunk chunk_at(const Conv2dGeometry& d, const Conv2dCpuPlan& plan, int64_t i) {
  const int64_t first = i * plan.images_per_gemm;
  return {first, std::min(plan.images_per_gemm, d.batch - first)};
}

// Calls run(chunk, inner_parallel) for every chunk of the plan: chunks spread over the
// OpenMP threads with single-threaded BLAS, or one after the other with the threads left to
// BLAS and to the chunk's own loops (inner_parallel).
template <class Run>
void for_each_chunk(const Conv2dGeometry& d, const Conv2dCpuPlan& plan, Run&& run) {
  const int64_t chunks = chunk_count(d, plan);
  if (!plan.chunks_in_parallel) {
    for (int64_t i = 0; i < chunks; ++i) run(chunk_at(d, plan, i), true);
    return;
  }
  SingleThreadedBlas single_threaded_blas;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < chunks; ++i) run(chunk_at(d, plan, i), false);
}

// A row-major matrix operand for gemm_cpu.
template <class T>
struct MatrixRef {
  const T* data;
  int64_t ld;
};

// The column matrix of a chunk, [column_rows, count * P]; group g's rows start at
// data + g * gemm_k * ld. A single image of a pointwise convolution is its own column
// matrix; everything else is built in the thread's column scratch.
template <class T>
MatrixRef<T> chunk_columns(const Planes<T>& x, const Conv2dGeometry& d, Chunk ch, bool parallel) {
  if (d.pointwise() && ch.count == 1) return {x.image(ch.first), x.channel_stride};
  const int64_t p = d.out_plane(), width = ch.count * p, rows = d.column_rows();
  const int64_t taps = d.image.kernel_h * d.image.kernel_w;
  T* cols = scratch<T>(Scratch::columns, rows * width);
#pragma omp parallel for collapse(2) schedule(static) if (parallel && rows * width > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.in_c; ++c)
      im2col_channel(x.image(ch.first + i), x.channel_stride, d.image, c,
                     cols + c * taps * width + i * p, width);
  return {cols, width};
}

// A chunk of a [N, C, P] tensor (grad_out) as one [C, count * P] matrix: the image itself
// for a single image, else a copy in the thread's gather scratch.
template <class T>
MatrixRef<T> chunk_rows(const Planes<T>& t, int64_t channels, int64_t p, Chunk ch, bool parallel) {
  if (ch.count == 1) return {t.image(ch.first), t.channel_stride};
  const int64_t width = ch.count * p;
  T* out = scratch<T>(Scratch::gathered, channels * width);
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && channels * width > kParallelWork)
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < ch.count; ++i)
      std::memcpy(out + c * width + i * p, t.image(ch.first + i) + c * t.channel_stride,
                  p * sizeof(T));
  return {out, width};
}

// ---------------------------------------------------------------------------------------
// Forward: y[chunk, group g] = W_g [M, K] x columns_g [K, count * P], plus bias, through a
// ReLU when `relu` (in the same pass as the bias, while the chunk's output is in cache).

template <class T>
void forward_chunk(const Conv2dGeometry& d, const Planes<T>& x, const T* w, const T* bias,
                   bool relu, T* y, Chunk ch, bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const MatrixRef<T> cols = chunk_columns(x, d, ch, parallel);
  // A single image's GEMM writes y directly; a wider one goes through scratch and is
  // scattered to the images below.
  T* y_first = y + ch.first * d.out_c * p;
  T* out = ch.count == 1 ? y_first : scratch<T>(Scratch::gathered, d.out_c * width);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(false, false, m, width, k, T(1), w + g * m * k, k, cols.data + g * k * cols.ld,
                cols.ld, T(0), out + g * m * width, width);
  if (ch.count == 1 && !bias && !relu) return;
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && d.out_c * width > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.out_c; ++c) {
      const T* src = out + c * width + i * p;
      T* dst = y_first + (i * d.out_c + c) * p;
      const T b = bias ? bias[c] : T(0);
      if (relu) {
        for (int64_t j = 0; j < p; ++j) dst[j] = std::max(src[j] + b, T(0));
      } else {
        for (int64_t j = 0; j < p; ++j) dst[j] = src[j] + b;
      }
    }
}

// ---------------------------------------------------------------------------------------
// Backward input: columns_g = W_gᵀ [K, M] x dy_g [M, count * P], then col2im into dx.

template <class T>
void backward_input_chunk(const Conv2dGeometry& d, const Planes<T>& dy, const T* w, T* dx, Chunk ch,
                          bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const int64_t x_image = d.in_c * d.in_plane(), taps = d.image.kernel_h * d.image.kernel_w;
  const MatrixRef<T> dy_mat = chunk_rows(dy, d.out_c, p, ch, parallel);
  // A single image of a pointwise convolution gets its gradient straight from the GEMM.
  const bool direct = d.pointwise() && ch.count == 1;
  T* cols =
      direct ? dx + ch.first * x_image : scratch<T>(Scratch::columns, d.column_rows() * width);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(true, false, k, width, m, T(1), w + g * m * k, k, dy_mat.data + g * m * dy_mat.ld,
                dy_mat.ld, T(0), cols + g * k * width, width);
  if (direct) return;
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && ch.count * x_image > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.in_c; ++c)
      col2im_channel(cols + c * taps * width + i * p, width, d.image, c,
                     dx + (ch.first + i) * x_image);
}

// ---------------------------------------------------------------------------------------
// Backward weight: dW_g [M, K] += dy_g [M, count * P] x columns_gᵀ [count * P, K].

template <class T>
void backward_weight_chunk(const Conv2dGeometry& d, const Planes<T>& x, const Planes<T>& dy, T* dw,
                           T beta, Chunk ch, bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const MatrixRef<T> dy_mat = chunk_rows(dy, d.out_c, p, ch, parallel);
  const MatrixRef<T> cols = chunk_columns(x, d, ch, parallel);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(false, true, m, k, width, T(1), dy_mat.data + g * m * dy_mat.ld, dy_mat.ld,
                cols.data + g * k * cols.ld, cols.ld, beta, dw + g * m * k, k);
}

}  // namespace

Conv2dCpuPlan conv2d_gemm_plan(const Conv2dGeometry& d) {
  Conv2dCpuPlan plan;
  const int64_t p = d.out_plane();
  const int64_t threads = num_threads();
  plan.images_per_gemm = std::clamp<int64_t>((kMinGemmColumns + p - 1) / p, 1, d.batch);
  const int64_t chunks = (d.batch + plan.images_per_gemm - 1) / plan.images_per_gemm;
  plan.chunks_in_parallel = chunks >= threads;
  // Too few chunks to keep the threads busy: wider GEMMs, each split over the threads by BLAS.
  if (!plan.chunks_in_parallel)
    plan.images_per_gemm = std::clamp<int64_t>((threads * kMinGemmColumns + p - 1) / p, 1, d.batch);
  plan.gemm_m = d.out_c_group;
  plan.gemm_n = plan.images_per_gemm * p;
  plan.gemm_k = d.gemm_k();
  return plan;
}

template <class T>
void conv2d_gemm_forward(const Conv2dGeometry& d, const Conv2dCpuPlan& plan, const Planes<T>& x,
                         const T* w, const T* bias, bool relu, T* y) {
  for_each_chunk(d, plan, [&](Chunk ch, bool parallel) {
    forward_chunk(d, x, w, bias, relu, y, ch, parallel);
  });
}

template <class T>
void conv2d_gemm_backward_input(const Conv2dGeometry& d, const Conv2dCpuPlan& plan,
                                const Planes<T>& dy, const T* w, T* dx) {
  for_each_chunk(
      d, plan, [&](Chunk ch, bool parallel) { backward_input_chunk(d, dy, w, dx, ch, parallel); });
}

// Sums the chunks' contributions: straight into dw when chunks run one after the other,
// else into one partial sum per thread.
template <class T>
void conv2d_gemm_backward_weight(const Conv2dGeometry& d, const Conv2dCpuPlan& plan,
                                 const Planes<T>& x, const Planes<T>& dy, T* dw) {
  if (!plan.chunks_in_parallel) {
    for_each_chunk(d, plan, [&](Chunk ch, bool parallel) {
      backward_weight_chunk(d, x, dy, dw, ch.first == 0 ? T(0) : T(1), ch, parallel);
    });
    return;
  }
  const int64_t chunks = chunk_count(d, plan);
  sum_thread_partials(d.out_c * d.gemm_k(), dw, [&](T* partial) {
#pragma omp for schedule(static)
    for (int64_t i = 0; i < chunks; ++i)
      backward_weight_chunk(d, x, dy, partial, T(1), chunk_at(d, plan, i), false);
  });
}

#define HS_CONV2D_GEMM_INSTANTIATE(T)                                                       \
  template void conv2d_gemm_forward<T>(const Conv2dGeometry&, const Conv2dCpuPlan&,         \
                                       const Planes<T>&, const T*, const T*, bool, T*);     \
  template void conv2d_gemm_backward_input<T>(const Conv2dGeometry&, const Conv2dCpuPlan&,  \
                                              const Planes<T>&, const T*, T*);              \
  template void conv2d_gemm_backward_weight<T>(const Conv2dGeometry&, const Conv2dCpuPlan&, \
                                               const Planes<T>&, const Planes<T>&, T*);
HS_CONV2D_GEMM_INSTANTIATE(float)
HS_CONV2D_GEMM_INSTANTIATE(double)
#undef HS_CONV2D_GEMM_INSTANTIATE

}  // namespace hs::ops::detail
