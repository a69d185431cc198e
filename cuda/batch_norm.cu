// Batch norm (and its fused ReLU) on the GPU, in two steps each way. A per-channel kernel,
// one block per channel, computes the statistics (training: a two-pass mean and variance
// summed in double, as on the CPU) or the gradient sums, and from them the per-channel
// coefficients, rounded to the element type exactly where the CPU rounds them; then an
// elementwise kernel applies the coefficients to every element.
#include <algorithm>
#include <cstdint>

#include "cuda/batch_norm.h"
#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/scratch.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

using std::int64_t;

// Element j of channel c (j < batch * inner, image-major) of an [N, C, inner] tensor.
template <class T>
__device__ inline const T& channel_element(const ChannelTensorRef& t, int64_t c, int64_t j) {
  const int64_t n = j / t.inner, i = j % t.inner;
  return static_cast<const T*>(t.data)[n * t.stride_n + c * t.stride_c + i];
}

// Element idx of the contiguous [N, C, inner] iteration, read through t's strides.
template <class T>
__device__ inline const T& element_at(const ChannelTensorRef& t, int64_t idx) {
  const int64_t i = idx % t.inner, c = (idx / t.inner) % t.channels,
                n = idx / (t.inner * t.channels);
  return static_cast<const T*>(t.data)[n * t.stride_n + c * t.stride_c + i];
}

template <class T>
__device__ inline T channel_value(const ChannelVector& v, int64_t c, T absent) {
  return v.data ? static_cast<const T*>(v.data)[c * v.stride] : absent;
}

// Per channel: mean and variance (the batch's in training, updating the running ones when
// given; else the running ones), save_mean, save_invstd, and the normalisation's
// scale = invstd·γ and shift = β.
template <class T>
__global__ void forward_stats_kernel(ChannelTensorRef x, ChannelVector gamma, ChannelVector beta,
                                     ChannelVector running_mean, ChannelVector running_var,
                                     bool training, double momentum, double eps, T* save_mean,
                                     T* save_invstd, T* scale, T* shift) {
  __shared__ double partial[kBlockSize];
  const int64_t values = x.batch * x.inner;
  const double count = static_cast<double>(values);
  T* r_mean = static_cast<T*>(running_mean.data);
  T* r_var = static_cast<T*>(running_var.data);
  for (int64_t c = blockIdx.x; c < x.channels; c += gridDim.x) {
    double mean, var;
    if (training) {
      double sum = 0;
      for (int64_t j = threadIdx.x; j < values; j += blockDim.x) sum += channel_element<T>(x, c, j);
      mean = block_sum(sum, partial) / count;
      double squares = 0;
      for (int64_t j = threadIdx.x; j < values; j += blockDim.x) {
        const double d = channel_element<T>(x, c, j) - mean;
        squares += d * d;
      }
      var = block_sum(squares, partial) / count;
    } else {
      mean = r_mean[c * running_mean.stride];
      var = r_var[c * running_var.stride];
    }
    if (threadIdx.x != 0) continue;
    if (training && r_mean) {
      T& r = r_mean[c * running_mean.stride];
      r = static_cast<T>((1 - momentum) * r + momentum * mean);
    }
    if (training && r_var) {
      T& r = r_var[c * running_var.stride];
      r = static_cast<T>((1 - momentum) * r + momentum * var * count / (count - 1));
    }
    const double invstd = 1.0 / sqrt(var + eps);
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    scale[c] = static_cast<T>(invstd * channel_value<T>(gamma, c, T(1)));
    shift[c] = channel_value<T>(beta, c, T(0));
  }
}

template <class T>
__global__ void normalize_kernel(ChannelTensorRef x, const T* mean, const T* scale, const T* shift,
                                 bool relu, T* y, int64_t n) {
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t c = (idx / x.inner) % x.channels;
    const T v = (element_at<T>(x, idx) - mean[c]) * scale[c] + shift[c];
    y[idx] = relu && v < T(0) ? T(0) : v;
  }
}

// The gradient g masked by y > 0 when the forward had a fused ReLU.
template <class T>
__device__ inline T masked_grad(bool relu, T g, T y_value) {
  return relu ? (y_value > T(0) ? g : T(0)) : g;
}

// Per channel: Σ dy and Σ dy·(x − mean) in double, dgamma = Σ dy·x̂, dbeta = Σ dy, and the
// coefficients of dx = dy_scale·dy − dy_shift − (x − mean)·xc_scale (coef[0..2][c]).
template <class T>
__global__ void backward_sums_kernel(ChannelTensorRef dy, ChannelTensorRef y, ChannelTensorRef x,
                                     ChannelVector gamma, const T* save_mean, const T* save_invstd,
                                     bool training, T* dgamma, T* dbeta, T* coef) {
  __shared__ double partial[kBlockSize];
  const int64_t values = x.batch * x.inner;
  const double count = static_cast<double>(values);
  for (int64_t c = blockIdx.x; c < x.channels; c += gridDim.x) {
    const T mean = save_mean[c];
    const double invstd = save_invstd[c];
    double sum_dy = 0, sum_dy_centered = 0;
    for (int64_t j = threadIdx.x; j < values; j += blockDim.x) {
      const T y_value = y.data ? channel_element<T>(y, c, j) : T(0);
      const T g = masked_grad(y.data != nullptr, channel_element<T>(dy, c, j), y_value);
      sum_dy += g;
      sum_dy_centered += static_cast<double>(g) * (channel_element<T>(x, c, j) - mean);
    }
    sum_dy = block_sum(sum_dy, partial);
    sum_dy_centered = block_sum(sum_dy_centered, partial);
    if (threadIdx.x != 0) continue;
    const double sum_dy_xhat = sum_dy_centered * invstd;
    dgamma[c] = static_cast<T>(sum_dy_xhat);
    dbeta[c] = static_cast<T>(sum_dy);
    const double k = channel_value<T>(gamma, c, T(1)) * invstd;
    const int64_t channels = x.channels;
    coef[c] = static_cast<T>(k);
    coef[channels + c] = training ? static_cast<T>(k * sum_dy / count) : T(0);
    coef[2 * channels + c] = training ? static_cast<T>(k * invstd * sum_dy_xhat / count) : T(0);
  }
}

template <class T>
__global__ void grad_input_kernel(ChannelTensorRef dy, ChannelTensorRef y, ChannelTensorRef x,
                                  const T* save_mean, const T* coef, T* dx, int64_t n) {
  const int64_t channels = x.channels;
  for (int64_t idx = grid_start(); idx < n; idx += grid_step()) {
    const int64_t c = (idx / x.inner) % channels;
    const T y_value = y.data ? element_at<T>(y, idx) : T(0);
    const T g = masked_grad(y.data != nullptr, element_at<T>(dy, idx), y_value);
    dx[idx] = coef[c] * g - coef[channels + c] -
              (element_at<T>(x, idx) - save_mean[c]) * coef[2 * channels + c];
  }
}

unsigned channel_blocks(int64_t channels) {
  return static_cast<unsigned>(std::min<int64_t>(channels, kMaxBlocks));
}

void check_input(const char* op, DType dtype, const ChannelTensorRef& x) {
  HS_CHECK(is_floating(dtype), "cuda ", op, ": needs f32 or f64, got ", dtype_name(dtype));
  HS_CHECK(x.batch >= 1 && x.channels >= 1 && x.inner >= 1, "cuda ", op, ": empty input (", x.batch,
           " x ", x.channels, " x ", x.inner, ")");
}

}  // namespace

void batch_norm_forward(DType dtype, const ChannelTensorRef& x, ChannelVector gamma,
                        ChannelVector beta, ChannelVector running_mean, ChannelVector running_var,
                        bool training, double momentum, double eps, bool relu, void* y,
                        void* save_mean, void* save_invstd) {
  check_input("batch_norm_forward", dtype, x);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    Scratch coefficients(2 * x.channels * sizeof(T));
    T* scale = coefficients.as<T>();
    T* shift = scale + x.channels;
    T* mean = static_cast<T*>(save_mean);
    forward_stats_kernel<T><<<channel_blocks(x.channels), kBlockSize, 0, stream()>>>(
        x, gamma, beta, running_mean, running_var, training, momentum, eps, mean,
        static_cast<T*>(save_invstd), scale, shift);
    HS_CUDA_CHECK(cudaGetLastError());
    const int64_t n = x.batch * x.channels * x.inner;
    normalize_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(x, mean, scale, shift, relu,
                                                                   static_cast<T*>(y), n);
    HS_CUDA_CHECK(cudaGetLastError());
  });
}

void batch_norm_backward(DType dtype, const ChannelTensorRef& dy, const ChannelTensorRef& y,
                         const ChannelTensorRef& x, ChannelVector gamma, const void* save_mean,
                         const void* save_invstd, bool training, void* dx, void* dgamma,
                         void* dbeta) {
  check_input("batch_norm_backward", dtype, x);
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    Scratch coefficients(3 * x.channels * sizeof(T));
    const T* mean = static_cast<const T*>(save_mean);
    backward_sums_kernel<T><<<channel_blocks(x.channels), kBlockSize, 0, stream()>>>(
        dy, y, x, gamma, mean, static_cast<const T*>(save_invstd), training,
        static_cast<T*>(dgamma), static_cast<T*>(dbeta), coefficients.as<T>());
    HS_CUDA_CHECK(cudaGetLastError());
    const int64_t n = x.batch * x.channels * x.inner;
    grad_input_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        dy, y, x, mean, coefficients.as<T>(), static_cast<T*>(dx), n);
    HS_CUDA_CHECK(cudaGetLastError());
  });
}

}  // namespace hs::cuda
