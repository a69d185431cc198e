#include "ops/batch_norm.h"

#include <algorithm>
#include <cmath>

#include "ops/batch_norm_cuda.h"
#include "ops/dispatch.h"

namespace hs::ops {
namespace {

constexpr std::int64_t kParallelWork = 32768;

// An [N,C] or [N,C,H,W] tensor read as element (n, c, i) at
// base[n * stride_n + c * stride_c + i], i < inner (= H·W, or 1 for 2-D). Views whose H·W
// planes are dense (channel slices among them) are used in place; others are copied once.
struct ChannelLayout {
  Tensor t;
  std::int64_t batch = 0, channels = 0, inner = 1, stride_n = 0, stride_c = 0;
};

ChannelLayout channel_layout(const Tensor& x) {
  ChannelLayout l;
  if (x.dim() == 2) {
    l.t = x;
  } else {
    const bool dense_rows = x.size(3) <= 1 || x.stride(3) == 1;
    const bool dense_plane = x.size(2) <= 1 || x.stride(2) == x.size(3);
    l.t = dense_rows && dense_plane ? x : x.contiguous();
    l.inner = x.size(2) * x.size(3);
  }
  l.batch = x.size(0);
  l.channels = x.size(1);
  l.stride_n = l.t.stride(0);
  l.stride_c = l.t.stride(1);
  return l;
}

// A per-channel [C] tensor of any stride, or none (data null).
template <class T>
struct ChannelParam {
  T* data = nullptr;
  std::int64_t stride = 0;
  explicit ChannelParam(const Tensor& t) {
    if (t.defined()) {
      data = t.data<T>();
      stride = t.stride(0);
    }
  }
  T& operator[](std::int64_t c) const { return data[c * stride]; }
  T get(std::int64_t c, T absent) const { return data ? data[c * stride] : absent; }
};

void check_input(const char* op, const Tensor& x) {
  detail::check_defined(op, x, "input");
  detail::check_floating(op, x);
  HS_CHECK(x.dim() == 2 || x.dim() == 4, op, ": expects a 2-D [N,C] or 4-D [N,C,H,W] input, got ",
           x.shape());
  HS_CHECK(x.numel() > 0, op, ": empty batch (input ", x.shape(), ")");
}

// A defined per-channel tensor must be [C] and share x's dtype and device.
void check_channel_tensor(const char* op, const Tensor& t, const char* what, const Tensor& x) {
  if (!t.defined()) return;
  HS_CHECK(t.dim() == 1 && t.size(0) == x.size(1), op, ": ", what, " has shape ", t.shape(),
           " but input ", x.shape(), " has ", x.size(1), " channels");
  detail::check_same_dtype_device(op, x, t);
}

void check_same_shape(const char* op, const Tensor& t, const char* what, const Tensor& x) {
  detail::check_defined(op, t, what);
  HS_CHECK(t.shape() == x.shape(), op, ": ", what, " has shape ", t.shape(), " but input has ",
           x.shape());
  detail::check_same_dtype_device(op, x, t);
}

template <class T, bool Relu>
void forward_kernel(const ChannelLayout& in, const Tensor& gamma_t, const Tensor& beta_t,
                    const Tensor& mean_t, const Tensor& var_t, bool training, double momentum,
                    double eps, BatchNormForward& out) {
  const T* src = in.t.data<T>();
  T* dst = out.y.data<T>();
  const ChannelParam<T> gamma(gamma_t), beta(beta_t), running_mean(mean_t), running_var(var_t);
  const ChannelParam<T> save_mean(out.save_mean), save_invstd(out.save_invstd);
  const double count = static_cast<double>(in.batch * in.inner);
#pragma omp parallel for if (in.batch * in.channels * in.inner > kParallelWork)
  for (std::int64_t c = 0; c < in.channels; ++c) {
    double mean, var;
    if (training) {
      double sum = 0;
      for (std::int64_t n = 0; n < in.batch; ++n) {
        const T* row = src + n * in.stride_n + c * in.stride_c;
#pragma omp simd reduction(+ : sum)
        for (std::int64_t i = 0; i < in.inner; ++i) sum += row[i];
      }
      mean = sum / count;
      double squares = 0;
      for (std::int64_t n = 0; n < in.batch; ++n) {
        const T* row = src + n * in.stride_n + c * in.stride_c;
#pragma omp simd reduction(+ : squares)
        for (std::int64_t i = 0; i < in.inner; ++i) {
          const double d = row[i] - mean;
          squares += d * d;
        }
      }
      var = squares / count;
      if (running_mean.data)
        running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean);
      if (running_var.data)
        running_var[c] =
            static_cast<T>((1 - momentum) * running_var[c] + momentum * var * count / (count - 1));
    } else {
      mean = running_mean[c];
      var = running_var[c];
    }
    const double invstd = 1.0 / std::sqrt(var + eps);
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    const T center = static_cast<T>(mean);
    const T scale = static_cast<T>(invstd * gamma.get(c, T(1)));
    const T shift = beta.get(c, T(0));
    for (std::int64_t n = 0; n < in.batch; ++n) {
      const T* row = src + n * in.stride_n + c * in.stride_c;
      T* out_row = dst + (n * in.channels + c) * in.inner;
#pragma omp simd
      for (std::int64_t i = 0; i < in.inner; ++i) {
        const T v = (row[i] - center) * scale + shift;
        out_row[i] = Relu && v < T(0) ? T(0) : v;
      }
    }
  }
}

BatchNormForward forward_impl(const char* op, bool relu, const Tensor& x, const Tensor& gamma,
                              const Tensor& beta, const Tensor& running_mean,
                              const Tensor& running_var, bool training, double momentum,
                              double eps) {
  check_input(op, x);
  check_channel_tensor(op, gamma, "gamma", x);
  check_channel_tensor(op, beta, "beta", x);
  check_channel_tensor(op, running_mean, "running_mean", x);
  check_channel_tensor(op, running_var, "running_var", x);
  HS_CHECK(running_mean.defined() == running_var.defined(), op,
           ": running_mean and running_var must both be given or both be undefined");
  const ChannelLayout in = channel_layout(x);
  if (training) {
    HS_CHECK(in.batch * in.inner > 1, op,
             ": expected more than 1 value per channel when training, got input ", x.shape());
  } else {
    HS_CHECK(running_mean.defined(), op, ": eval mode needs running_mean and running_var (input ",
             x.shape(), ")");
  }
#if HSNET_WITH_CUDA
  if (x.is_cuda())
    return detail::batch_norm_forward_cuda(relu, x, gamma, beta, running_mean, running_var,
                                           training, momentum, eps);
#endif
  BatchNormForward out{empty(x.shape(), {x.dtype()}), empty({in.channels}, {x.dtype()}),
                       empty({in.channels}, {x.dtype()})};
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (relu)
      forward_kernel<T, true>(in, gamma, beta, running_mean, running_var, training, momentum, eps,
                              out);
    else
      forward_kernel<T, false>(in, gamma, beta, running_mean, running_var, training, momentum, eps,
                               out);
  });
  return out;
}

// Adds Σ dy and Σ dy·(x − mean) over one row to the sums.
template <class T>
void sum_row(const T* dy, const T* x, std::int64_t len, T mean, double& sum_dy,
             double& sum_dy_centered) {
  double s = 0, sc = 0;
#pragma omp simd reduction(+ : s, sc)
  for (std::int64_t i = 0; i < len; ++i) {
    s += dy[i];
    sc += static_cast<double>(dy[i]) * (x[i] - mean);
  }
  sum_dy += s;
  sum_dy_centered += sc;
}

// As sum_row with dy masked by y > 0. The masked values go through a small buffer: GCC does
// not vectorise a select that feeds a double sum, and the branch it emits instead
// mispredicts on every other element.
template <class T>
void sum_masked_row(const T* dy, const T* y, const T* x, std::int64_t len, T mean, double& sum_dy,
                    double& sum_dy_centered) {
  constexpr std::int64_t kChunk = 256;
  T masked[kChunk];
  for (std::int64_t start = 0; start < len; start += kChunk) {
    const std::int64_t n = std::min(kChunk, len - start);
#pragma omp simd
    for (std::int64_t i = 0; i < n; ++i) {
      const T g = dy[start + i], y_i = y[start + i];
      masked[i] = y_i > T(0) ? g : T(0);
    }
    sum_row(masked, x + start, n, mean, sum_dy, sum_dy_centered);
  }
}

// dx = dy_scale·g − dy_shift − (x − mean)·xc_scale over one row, where g is dy, masked by
// y > 0 when Relu (both loaded before the select, which keeps the loop vectorised).
template <class T, bool Relu>
void grad_input_row(const T* dy, const T* y, const T* x, T* dx, std::int64_t len, T mean,
                    T dy_scale, T dy_shift, T xc_scale) {
#pragma omp simd
  for (std::int64_t i = 0; i < len; ++i) {
    T g = dy[i];
    if constexpr (Relu) {
      const T y_i = y[i];
      g = y_i > T(0) ? g : T(0);
    }
    dx[i] = dy_scale * g - dy_shift - (x[i] - mean) * xc_scale;
  }
}

template <class T, bool Relu>
void backward_kernel(const ChannelLayout& grad, const ChannelLayout& in, const ChannelLayout& out,
                     const Tensor& gamma_t, const Tensor& mean_t, const Tensor& invstd_t,
                     bool training, BatchNormGrads& result) {
  const T* dy = grad.t.data<T>();
  const T* x = in.t.data<T>();
  const T* y = Relu ? out.t.data<T>() : nullptr;
  T* dx = result.dx.data<T>();
  const ChannelParam<T> gamma(gamma_t), save_mean(mean_t), save_invstd(invstd_t);
  const ChannelParam<T> dgamma(result.dgamma), dbeta(result.dbeta);
  const double count = static_cast<double>(in.batch * in.inner);
#pragma omp parallel for if (in.batch * in.channels * in.inner > kParallelWork)
  for (std::int64_t c = 0; c < in.channels; ++c) {
    const T mean = save_mean[c];
    const double invstd = save_invstd[c];
    double sum_dy = 0, sum_dy_centered = 0;
    for (std::int64_t n = 0; n < in.batch; ++n) {
      const T* dy_row = dy + n * grad.stride_n + c * grad.stride_c;
      const T* x_row = x + n * in.stride_n + c * in.stride_c;
      const T* y_row = Relu ? y + n * out.stride_n + c * out.stride_c : nullptr;
      if constexpr (Relu)
        sum_masked_row(dy_row, y_row, x_row, in.inner, mean, sum_dy, sum_dy_centered);
      else
        sum_row(dy_row, x_row, in.inner, mean, sum_dy, sum_dy_centered);
    }
    const double sum_dy_xhat = sum_dy_centered * invstd;
    dgamma[c] = static_cast<T>(sum_dy_xhat);
    dbeta[c] = static_cast<T>(sum_dy);
    const double k = gamma.get(c, T(1)) * invstd;
    const T dy_scale = static_cast<T>(k);
    const T dy_shift = training ? static_cast<T>(k * sum_dy / count) : T(0);
    const T xc_scale = training ? static_cast<T>(k * invstd * sum_dy_xhat / count) : T(0);
    for (std::int64_t n = 0; n < in.batch; ++n) {
      const T* dy_row = dy + n * grad.stride_n + c * grad.stride_c;
      const T* x_row = x + n * in.stride_n + c * in.stride_c;
      const T* y_row = Relu ? y + n * out.stride_n + c * out.stride_c : nullptr;
      grad_input_row<T, Relu>(dy_row, y_row, x_row, dx + (n * in.channels + c) * in.inner, in.inner,
                              mean, dy_scale, dy_shift, xc_scale);
    }
  }
}

BatchNormGrads backward_impl(const char* op, const Tensor& dy, const Tensor& y, const Tensor& x,
                             const Tensor& gamma, const Tensor& save_mean,
                             const Tensor& save_invstd, bool training) {
  check_input(op, x);
  check_same_shape(op, dy, "grad", x);
  if (y.defined()) check_same_shape(op, y, "output", x);
  check_channel_tensor(op, gamma, "gamma", x);
  detail::check_defined(op, save_mean, "save_mean");
  detail::check_defined(op, save_invstd, "save_invstd");
  check_channel_tensor(op, save_mean, "save_mean", x);
  check_channel_tensor(op, save_invstd, "save_invstd", x);
#if HSNET_WITH_CUDA
  if (x.is_cuda())
    return detail::batch_norm_backward_cuda(dy, y, x, gamma, save_mean, save_invstd, training);
#endif
  const ChannelLayout grad = channel_layout(dy), in = channel_layout(x);
  const ChannelLayout out = y.defined() ? channel_layout(y) : ChannelLayout{};
  BatchNormGrads result{empty(x.shape(), {x.dtype()}), empty({in.channels}, {x.dtype()}),
                        empty({in.channels}, {x.dtype()})};
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (y.defined())
      backward_kernel<T, true>(grad, in, out, gamma, save_mean, save_invstd, training, result);
    else
      backward_kernel<T, false>(grad, in, out, gamma, save_mean, save_invstd, training, result);
  });
  return result;
}

}  // namespace

BatchNormForward batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    bool training, double momentum, double eps) {
  return forward_impl("batch_norm", false, x, gamma, beta, running_mean, running_var, training,
                      momentum, eps);
}

BatchNormForward batch_norm_relu_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                         const Tensor& running_mean, const Tensor& running_var,
                                         bool training, double momentum, double eps) {
  return forward_impl("batch_norm_relu", true, x, gamma, beta, running_mean, running_var, training,
                      momentum, eps);
}

BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training) {
  return backward_impl("batch_norm_backward", dy, Tensor{}, x, gamma, save_mean, save_invstd,
                       training);
}

BatchNormGrads batch_norm_relu_backward(const Tensor& dy, const Tensor& y, const Tensor& x,
                                        const Tensor& gamma, const Tensor& save_mean,
                                        const Tensor& save_invstd, bool training) {
  detail::check_defined("batch_norm_relu_backward", y, "output");
  return backward_impl("batch_norm_relu_backward", dy, y, x, gamma, save_mean, save_invstd,
                       training);
}

}  // namespace hs::ops
