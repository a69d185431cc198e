// Pooling on the GPU with the CPU's window arithmetic (kernels/pool_index.h): one
// thread per output cell forward; avg-pool backward as a gather, one thread per input
// cell over the windows that cover it (in the CPU's order, without atomics); max-pool
// backward, which knows only the argmax indices, one thread per plane scattering in the
// CPU's order; global average pooling one thread per plane.
#include <cstdint>
#include <limits>

#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/pooling.h"
#include "cuda/scratch.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

using std::int64_t;

// The input plane of output plane p (= n * channels + c).
template <class T>
__device__ inline const T* input_plane(PlanesRef x, int64_t channels, int64_t p) {
  return static_cast<const T*>(x.data) + (p / channels) * x.image_stride +
         (p % channels) * x.channel_stride;
}

__device__ inline int64_t avg_divisor(const ops::PoolWindow& wh, const ops::PoolWindow& ww,
                                      bool count_include_pad) {
  return count_include_pad ? wh.padded_count * ww.padded_count
                           : (wh.end - wh.begin) * (ww.end - ww.begin);
}

// Padded cells count as -inf; NaN wins, as on the CPU.
template <class T>
__global__ void max_pool_kernel(PoolShape s, PlanesRef x, T* y, int64_t* indices, int64_t n) {
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t ow = idx % s.out_w, oh = (idx / s.out_w) % s.out_h;
    const T* in = input_plane<T>(x, s.channels, idx / (s.out_w * s.out_h));
    const ops::PoolWindow wh = ops::pool_window(oh, s.in_h, s.h);
    const ops::PoolWindow ww = ops::pool_window(ow, s.in_w, s.w);
    T best = -std::numeric_limits<T>::infinity();
    int64_t best_index = wh.begin * s.in_w + ww.begin;
    for (int64_t ih = wh.begin; ih < wh.end; ++ih) {
      for (int64_t iw = ww.begin; iw < ww.end; ++iw) {
        const T v = in[ih * s.in_w + iw];
        if (v > best || isnan(v)) {
          best = v;
          best_index = ih * s.in_w + iw;
        }
      }
    }
    y[idx] = best;
    indices[idx] = best_index;
  }
}

// One thread per plane, so the adds to one dx cell happen in the CPU's order and never race.
// Sets *bad_index when an index lies outside the plane.
template <class T>
__global__ void max_pool_backward_kernel(int64_t planes, int64_t in_plane, int64_t out_plane,
                                         const T* dy, const int64_t* indices, T* dx,
                                         int* bad_index) {
  for (int64_t p = grid_start(); p < planes; p += grid_step()) {
    for (int64_t i = p * out_plane; i < (p + 1) * out_plane; ++i) {
      const int64_t target = indices[i];
      if (target < 0 || target >= in_plane) {
        *bad_index = 1;
        continue;
      }
      dx[p * in_plane + target] += dy[i];
    }
  }
}

template <class T>
__global__ void avg_pool_kernel(PoolShape s, PlanesRef x, bool count_include_pad, T* y, int64_t n) {
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t ow = idx % s.out_w, oh = (idx / s.out_w) % s.out_h;
    const T* in = input_plane<T>(x, s.channels, idx / (s.out_w * s.out_h));
    const ops::PoolWindow wh = ops::pool_window(oh, s.in_h, s.h);
    const ops::PoolWindow ww = ops::pool_window(ow, s.in_w, s.w);
    double sum = 0;
    for (int64_t ih = wh.begin; ih < wh.end; ++ih)
      for (int64_t iw = ww.begin; iw < ww.end; ++iw) sum += in[ih * s.in_w + iw];
    y[idx] = static_cast<T>(sum / avg_divisor(wh, ww, count_include_pad));
  }
}

// dx cell = Σ over the windows covering it, in (oh, ow) order, of dy / divisor.
template <class T>
__global__ void avg_pool_backward_kernel(PoolShape s, const T* dy, bool count_include_pad, T* dx,
                                         int64_t n) {
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t iw = idx % s.in_w, ih = (idx / s.in_w) % s.in_h;
    const T* grad = dy + (idx / (s.in_w * s.in_h)) * s.out_h * s.out_w;
    const ops::PoolCover rows = ops::pool_cover(ih, s.out_h, s.h);
    const ops::PoolCover cols = ops::pool_cover(iw, s.out_w, s.w);
    T sum = 0;
    for (int64_t oh = rows.first; oh < rows.last; ++oh) {
      const ops::PoolWindow wh = ops::pool_window(oh, s.in_h, s.h);
      for (int64_t ow = cols.first; ow < cols.last; ++ow) {
        const ops::PoolWindow ww = ops::pool_window(ow, s.in_w, s.w);
        sum += grad[oh * s.out_w + ow] / static_cast<T>(avg_divisor(wh, ww, count_include_pad));
      }
    }
    dx[idx] = sum;
  }
}

template <class T>
__global__ void global_avg_pool_kernel(PlanesRef x, int64_t channels, int64_t plane_size, T* y,
                                       int64_t planes) {
  for (int64_t p = grid_start(); p < planes; p += grid_step()) {
    const T* in = input_plane<T>(x, channels, p);
    double sum = 0;
    for (int64_t i = 0; i < plane_size; ++i) sum += in[i];
    y[p] = static_cast<T>(sum / static_cast<double>(plane_size));
  }
}

template <class T>
__global__ void global_avg_pool_backward_kernel(const T* dy, int64_t plane_size, T* dx, int64_t n) {
  const T scale = T(1) / static_cast<T>(plane_size);
  for (int64_t idx = grid_start(); idx < n; idx += grid_step())
    dx[idx] = dy[idx / plane_size] * scale;
}

void check_floating(const char* op, DType dtype) {
  HS_CHECK(is_floating(dtype), "cuda ", op, ": needs f32 or f64, got ", dtype_name(dtype));
}

}  // namespace

void max_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, void* y,
                        std::int64_t* indices) {
  check_floating("max_pool2d_forward", dtype);
  const int64_t n = shape.batch * shape.channels * shape.out_h * shape.out_w;
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    max_pool_kernel<T>
        <<<grid_size(n), kBlockSize, 0, stream()>>>(shape, x, static_cast<T*>(y), indices, n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

bool max_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t in_plane,
                         std::int64_t out_plane, const void* dy, const std::int64_t* indices,
                         void* dx) {
  check_floating("max_pool2d_backward", dtype);
  if (planes == 0) return true;
  HS_CUDA_CHECK(cudaMemsetAsync(dx, 0, planes * in_plane * element_size(dtype), stream()));
  Scratch bad_index(sizeof(int));
  HS_CUDA_CHECK(cudaMemsetAsync(bad_index.as<int>(), 0, sizeof(int), stream()));
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    max_pool_backward_kernel<T><<<grid_size(planes), kBlockSize, 0, stream()>>>(
        planes, in_plane, out_plane, static_cast<const T*>(dy), indices, static_cast<T*>(dx),
        bad_index.as<int>());
  });
  HS_CUDA_CHECK(cudaGetLastError());
  int host_bad_index = 0;
  HS_CUDA_CHECK(cudaMemcpyAsync(&host_bad_index, bad_index.as<int>(), sizeof(int),
                                cudaMemcpyDeviceToHost, stream()));
  synchronize();
  return host_bad_index == 0;
}

void avg_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, bool count_include_pad,
                        void* y) {
  check_floating("avg_pool2d_forward", dtype);
  const int64_t n = shape.batch * shape.channels * shape.out_h * shape.out_w;
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    avg_pool_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(shape, x, count_include_pad,
                                                                  static_cast<T*>(y), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void avg_pool2d_backward(DType dtype, const PoolShape& shape, const void* dy,
                         bool count_include_pad, void* dx) {
  check_floating("avg_pool2d_backward", dtype);
  const int64_t n = shape.batch * shape.channels * shape.in_h * shape.in_w;
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    avg_pool_backward_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        shape, static_cast<const T*>(dy), count_include_pad, static_cast<T*>(dx), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void global_avg_pool2d_forward(DType dtype, std::int64_t batch, std::int64_t channels,
                               std::int64_t plane_size, PlanesRef x, void* y) {
  check_floating("global_avg_pool2d_forward", dtype);
  const int64_t planes = batch * channels;
  if (planes == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    global_avg_pool_kernel<T><<<grid_size(planes), kBlockSize, 0, stream()>>>(
        x, channels, plane_size, static_cast<T*>(y), planes);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void global_avg_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t plane_size,
                                const void* dy, void* dx) {
  check_floating("global_avg_pool2d_backward", dtype);
  const int64_t n = planes * plane_size;
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    global_avg_pool_backward_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        static_cast<const T*>(dy), plane_size, static_cast<T*>(dx), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
