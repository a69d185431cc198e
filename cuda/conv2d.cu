// Convolution on the GPU: im2col and cuBLAS GEMMs batched over the images of a chunk (a
// 1x1, stride-1, unpadded convolution multiplies the input planes themselves), and col2im
// written as a gather, one thread per input pixel. The index arithmetic is the CPU's
// (kernels/im2col_index.h, kernels/col2im_index.h).
#include <algorithm>
#include <cstdint>

#include "cuda/check.h"
#include "cuda/conv2d.h"
#include "cuda/gemm.h"
#include "cuda/launch.h"
#include "cuda/scratch.h"
#include "cuda/stream.h"
#include "kernels/col2im_index.h"

namespace hs::cuda {
namespace {

using std::int64_t;

// The images of a call go through the GEMMs in chunks whose scratch matrices hold at most
// this many elements (128 MiB in f32), so a large batch does not need one huge buffer.
constexpr int64_t kMaxScratchElements = int64_t{1} << 25;

// Images per chunk when each image needs `per_image` scratch elements.
int64_t images_per_chunk(int64_t batch, int64_t per_image) {
  if (per_image == 0) return batch;
  return std::clamp<int64_t>(kMaxScratchElements / per_image, 1, batch);
}

// Column-matrix element (i, row, col) of image i < count goes to
// cols[i * col_image_stride + row * col_row_stride + col]; x points at image 0 of the chunk.
template <class T>
__global__ void im2col_kernel(const T* x, int64_t x_image_stride, int64_t x_channel_stride,
                              ops::Im2colGeometry g, int64_t count, T* cols,
                              int64_t col_image_stride, int64_t col_row_stride) {
  const int64_t rows = g.column_rows(), plane = g.column_cols();
  const int64_t n = count * rows * plane;
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t col = idx % plane;
    const int64_t row = (idx / plane) % rows;
    const int64_t i = idx / (plane * rows);
    int64_t c, kh, kw;
    g.split_row(row, c, kh, kw);
    const int64_t ih = g.input_row(kh, col / g.out_w);
    const int64_t iw = g.input_col(kw, col % g.out_w);
    const bool inside = ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w;
    cols[i * col_image_stride + row * col_row_stride + col] =
        inside ? x[i * x_image_stride + c * x_channel_stride + ih * g.in_w + iw] : T(0);
  }
}

// dx pixel (i, c, ih, iw) of a chunk = the sum, over the kernel taps in (kh, kw) order (the
// CPU's order), of the column-matrix elements that read it. Image i's column matrix starts at
// cols + i * col_image_stride with rows `plane` apart; dx points at image 0 of the chunk.
template <class T>
__global__ void col2im_kernel(const T* cols, int64_t col_image_stride, ops::Im2colGeometry g,
                              int64_t count, T* dx) {
  const int64_t in_plane = g.in_h * g.in_w, image = g.channels * in_plane;
  const int64_t plane = g.column_cols();
  const int64_t n = count * image;
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t iw = idx % g.in_w;
    const int64_t ih = (idx / g.in_w) % g.in_h;
    const int64_t c = (idx / in_plane) % g.channels;
    const T* image_cols = cols + (idx / image) * col_image_stride;
    T sum = 0;
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      const int64_t oh = ops::col2im_output_row(g, kh, ih);
      if (oh < 0) continue;
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t ow = ops::col2im_output_col(g, kw, iw);
        if (ow < 0) continue;
        const int64_t row = (c * g.kernel_h + kh) * g.kernel_w + kw;
        sum += image_cols[row * plane + oh * g.out_w + ow];
      }
    }
    dx[idx] = sum;
  }
}

// dst [channels, count * plane]: the planes of `count` images side by side per channel.
template <class T>
__global__ void gather_planes_kernel(const T* src, int64_t image_stride, int64_t channel_stride,
                                     int64_t channels, int64_t plane, int64_t count, T* dst) {
  const int64_t width = count * plane;
  const int64_t n = channels * width;
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t c = idx / width;
    const int64_t i = (idx % width) / plane;
    const int64_t j = idx % plane;
    dst[idx] = src[i * image_stride + c * channel_stride + j];
  }
}

// y [N, C, plane] += bias[c].
template <class T>
__global__ void add_bias_kernel(T* y, const T* bias, int64_t channels, int64_t plane, int64_t n) {
  for (int64_t idx = grid_start(); idx < n; idx += grid_step())
    y[idx] += bias[(idx / plane) % channels];
}

template <class T>
void launch_im2col(const T* x, PlanesRef planes, const ops::Im2colGeometry& g, int64_t count,
                   T* cols, int64_t col_image_stride, int64_t col_row_stride) {
  const int64_t n = count * g.column_rows() * g.column_cols();
  im2col_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(x, planes.image_stride,
                                                           planes.channel_stride, g, count, cols,
                                                           col_image_stride, col_row_stride);
  HS_CUDA_CHECK(cudaGetLastError());
}

template <class T>
void forward(const Conv2dGeometry& s, PlanesRef x, const T* w, const T* bias, T* y) {
  const int64_t per_image = s.pointwise() ? 0 : s.column_rows() * s.out_plane();
  const int64_t chunk = images_per_chunk(s.batch, per_image);
  Scratch cols(static_cast<std::size_t>(chunk * per_image) * sizeof(T));
  for (int64_t first = 0; first < s.batch; first += chunk) {
    const int64_t count = std::min(chunk, s.batch - first);
    const T* x_first = static_cast<const T*>(x.data) + first * x.image_stride;
    // B: the chunk's column matrices, [gemm_k, plane] per group and image.
    const T* b = x_first;
    int64_t ldb = x.channel_stride, stride_b = x.image_stride;
    if (!s.pointwise()) {
      launch_im2col(x_first, x, s.image, count, cols.as<T>(), per_image, s.out_plane());
      b = cols.as<T>();
      ldb = s.out_plane();
      stride_b = per_image;
    }
    for (int64_t g = 0; g < s.groups; ++g)
      gemm(dtype_of<T>(), false, false, s.out_c_group, s.out_plane(), s.gemm_k(), 1.0,
           w + g * s.out_c_group * s.gemm_k(), s.gemm_k(), 0, b + g * s.gemm_k() * ldb, ldb,
           stride_b, 0.0, y + first * s.y_image() + g * s.out_c_group * s.out_plane(),
           s.out_plane(), s.y_image(), count);
  }
  if (bias) {
    const int64_t n = s.batch * s.y_image();
    add_bias_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(y, bias, s.out_c, s.out_plane(), n);
    HS_CUDA_CHECK(cudaGetLastError());
  }
}

template <class T>
void backward_input(const Conv2dGeometry& s, PlanesRef dy, const T* w, T* dx) {
  const int64_t per_image = s.column_rows() * s.out_plane();
  // A pointwise convolution's column matrices are dx itself.
  const int64_t chunk = images_per_chunk(s.batch, s.pointwise() ? 0 : per_image);
  Scratch cols(s.pointwise() ? 0 : static_cast<std::size_t>(chunk * per_image) * sizeof(T));
  for (int64_t first = 0; first < s.batch; first += chunk) {
    const int64_t count = std::min(chunk, s.batch - first);
    const T* dy_first = static_cast<const T*>(dy.data) + first * dy.image_stride;
    T* dx_first = dx + first * s.x_image();
    T* c = s.pointwise() ? dx_first : cols.as<T>();
    for (int64_t g = 0; g < s.groups; ++g)
      gemm(dtype_of<T>(), true, false, s.gemm_k(), s.out_plane(), s.out_c_group, 1.0,
           w + g * s.out_c_group * s.gemm_k(), s.gemm_k(), 0,
           dy_first + g * s.out_c_group * dy.channel_stride, dy.channel_stride, dy.image_stride,
           0.0, c + g * s.gemm_k() * s.out_plane(), s.out_plane(), per_image, count);
    if (s.pointwise()) continue;
    const int64_t n = count * s.x_image();
    col2im_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(cols.as<T>(), per_image, s.image,
                                                             count, dx_first);
    HS_CUDA_CHECK(cudaGetLastError());
  }
}

// dW_g [gemm_m, gemm_k] = Σ over chunks of dy_g [gemm_m, count * plane] x cols_g^T, with the
// chunk's images side by side in both matrices so that one GEMM sums over all of them.
template <class T>
void backward_weight(const Conv2dGeometry& s, PlanesRef dy, PlanesRef x, T* dw) {
  const int64_t chunk = images_per_chunk(s.batch, (s.column_rows() + s.out_c) * s.out_plane());
  Scratch cols(static_cast<std::size_t>(chunk * s.column_rows() * s.out_plane()) * sizeof(T));
  Scratch dy_rows(static_cast<std::size_t>(chunk * s.out_c * s.out_plane()) * sizeof(T));
  for (int64_t first = 0; first < s.batch; first += chunk) {
    const int64_t count = std::min(chunk, s.batch - first);
    const int64_t width = count * s.out_plane();
    const T* x_first = static_cast<const T*>(x.data) + first * x.image_stride;
    const T* dy_first = static_cast<const T*>(dy.data) + first * dy.image_stride;
    launch_im2col(x_first, x, s.image, count, cols.as<T>(), s.out_plane(), width);
    const int64_t n = s.out_c * width;
    gather_planes_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(
        dy_first, dy.image_stride, dy.channel_stride, s.out_c, s.out_plane(), count,
        dy_rows.as<T>());
    HS_CUDA_CHECK(cudaGetLastError());
    const double beta = first == 0 ? 0.0 : 1.0;
    for (int64_t g = 0; g < s.groups; ++g)
      gemm(dtype_of<T>(), false, true, s.out_c_group, s.gemm_k(), width, 1.0,
           dy_rows.as<T>() + g * s.out_c_group * width, width, 0,
           cols.as<T>() + g * s.gemm_k() * width, width, 0, beta,
           dw + g * s.out_c_group * s.gemm_k(), s.gemm_k(), 0, 1);
  }
}

void check_shape(const char* op, DType dtype, const Conv2dGeometry& s) {
  HS_CHECK(is_floating(dtype), "cuda ", op, ": needs f32 or f64, got ", dtype_name(dtype));
  HS_CHECK(s.batch >= 1 && s.groups >= 1 && s.out_c % s.groups == 0 && s.in_c % s.groups == 0,
           "cuda ", op, ": inconsistent sizes (batch ", s.batch, ", ", s.in_c, " input and ",
           s.out_c, " output channels, ", s.groups, " groups)");
}

}  // namespace

void conv2d_forward(DType dtype, const Conv2dGeometry& shape, PlanesRef x, const void* w,
                    const void* bias, void* y) {
  check_shape("conv2d_forward", dtype, shape);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    forward<T>(shape, x, static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(y));
  });
}

void conv2d_backward_input(DType dtype, const Conv2dGeometry& shape, PlanesRef dy, const void* w,
                           void* dx) {
  check_shape("conv2d_backward_input", dtype, shape);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    backward_input<T>(shape, dy, static_cast<const T*>(w), static_cast<T*>(dx));
  });
}

void conv2d_backward_weight(DType dtype, const Conv2dGeometry& shape, PlanesRef dy, PlanesRef x,
                            void* dw) {
  check_shape("conv2d_backward_weight", dtype, shape);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    backward_weight<T>(shape, dy, x, static_cast<T*>(dw));
  });
}

}  // namespace hs::cuda
