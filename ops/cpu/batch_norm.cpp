#include "ops/cpu/batch_norm.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops::detail {
namespace {

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
    l.t = has_dense_planes(x) ? x : x.contiguous();
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

// Sums run in T over kLanes independent partial sums (so the loop vectorises without a
// serial dependency, f32 at full width) for at most kBlock elements at a time; block
// results are then combined in double. A lane adds at most kBlock / kLanes = 256 values.
constexpr std::int64_t kLanes = 16;
constexpr std::int64_t kBlock = 4096;

template <class T>
T lane_total(const T (&acc)[kLanes]) {
  T total = 0;
  for (std::int64_t j = 0; j < kLanes; ++j) total += acc[j];
  return total;
}

// Mean and sum of squared deviations from it of one block (len <= kBlock): the first pass
// reads memory, the second re-reads the block from L1.
template <class T>
void block_moments(const T* x, std::int64_t len, double& mean, double& m2) {
  T acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= len; i += kLanes)
#pragma omp simd
    for (std::int64_t j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  T sum = lane_total(acc);
  for (; i < len; ++i) sum += x[i];
  mean = static_cast<double>(sum) / static_cast<double>(len);
  const T center = static_cast<T>(mean);
  T sq[kLanes] = {};
  for (i = 0; i + kLanes <= len; i += kLanes)
#pragma omp simd
    for (std::int64_t j = 0; j < kLanes; ++j) {
      const T d = x[i + j] - center;
      sq[j] += d * d;
    }
  T squares = lane_total(sq);
  for (; i < len; ++i) squares += (x[i] - center) * (x[i] - center);
  m2 = squares;
}

// Count, mean and sum of squared deviations of a growing set of values, merged block by
// block (Chan et al.'s pairwise update): no cancellation however large the mean, and one
// pass over memory.
struct Moments {
  double count = 0, mean = 0, m2 = 0;
  void merge(double n, double block_mean, double block_m2) {
    const double total = count + n, delta = block_mean - mean;
    mean += delta * n / total;
    m2 += block_m2 + delta * delta * count * n / total;
    count = total;
  }
};

// Both kernels walk the tensor as rows — one channel of one image, `inner` values — in
// memory order, so each pass streams through memory and splits evenly over threads whatever
// the channel count. Per-row results are combined per channel in batch order afterwards, so
// the statistics do not depend on the thread count.
// `residual` (data undefined for none) is added after the affine step, before the ReLU.
template <class T, bool Relu>
void forward_kernel(const ChannelLayout& in, const ChannelLayout& residual, const Tensor& gamma_t,
                    const Tensor& beta_t, const Tensor& mean_t, const Tensor& var_t, bool training,
                    double momentum, double eps, BatchNormForward& out) {
  const T* src = in.t.data<T>();
  const T* res = residual.t.defined() ? residual.t.data<T>() : nullptr;
  T* dst = out.y.data<T>();
  const ChannelParam<T> gamma(gamma_t), beta(beta_t), running_mean(mean_t), running_var(var_t);
  const ChannelParam<T> save_mean(out.save_mean), save_invstd(out.save_invstd);
  const std::int64_t channels = in.channels, inner = in.inner, rows = in.batch * channels;
  const bool parallel = rows * inner > kParallelWork;
  const auto row_ptr = [&](std::int64_t r) {
    return src + (r / channels) * in.stride_n + (r % channels) * in.stride_c;
  };
  const double count = static_cast<double>(in.batch * inner);
  std::vector<double> mean(channels), var(channels);
  if (training) {
    std::vector<double> row_mean(rows), row_m2(rows);
#pragma omp parallel for if (parallel) schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      const T* row = row_ptr(r);
      Moments m;
      for (std::int64_t start = 0; start < inner; start += kBlock) {
        const std::int64_t len = std::min(kBlock, inner - start);
        double block_mean, block_m2;
        block_moments(row + start, len, block_mean, block_m2);
        m.merge(static_cast<double>(len), block_mean, block_m2);
      }
      row_mean[r] = m.mean;
      row_m2[r] = m.m2;
    }
    for (std::int64_t c = 0; c < channels; ++c) {
      Moments m;
      for (std::int64_t n = 0; n < in.batch; ++n)
        m.merge(static_cast<double>(inner), row_mean[n * channels + c], row_m2[n * channels + c]);
      mean[c] = m.mean;
      var[c] = m.m2 / count;
      if (running_mean.data)
        running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mean[c]);
      if (running_var.data)
        running_var[c] = static_cast<T>((1 - momentum) * running_var[c] +
                                        momentum * var[c] * count / (count - 1));
    }
  } else {
    for (std::int64_t c = 0; c < channels; ++c) {
      mean[c] = running_mean[c];
      var[c] = running_var[c];
    }
  }
  // y = (x − mean)·scale + shift per channel.
  std::vector<T> center(channels), scale(channels), shift(channels);
  for (std::int64_t c = 0; c < channels; ++c) {
    const double invstd = 1.0 / std::sqrt(var[c] + eps);
    save_mean[c] = center[c] = static_cast<T>(mean[c]);
    save_invstd[c] = static_cast<T>(invstd);
    scale[c] = static_cast<T>(invstd * gamma.get(c, T(1)));
    shift[c] = beta.get(c, T(0));
  }
#pragma omp parallel for if (parallel) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const T* row = row_ptr(r);
    T* out_row = dst + r * inner;
    const std::int64_t c = r % channels;
    const T center_c = center[c], scale_c = scale[c], shift_c = shift[c];
    if (res) {
      const T* res_row = res + (r / channels) * residual.stride_n + c * residual.stride_c;
#pragma omp simd
      for (std::int64_t i = 0; i < inner; ++i) {
        const T v = (row[i] - center_c) * scale_c + shift_c + res_row[i];
        out_row[i] = Relu && v < T(0) ? T(0) : v;
      }
      continue;
    }
#pragma omp simd
    for (std::int64_t i = 0; i < inner; ++i) {
      const T v = (row[i] - center_c) * scale_c + shift_c;
      out_row[i] = Relu && v < T(0) ? T(0) : v;
    }
  }
}

// Adds Σ g and Σ g·(x − mean) over one row to the sums, where g is dy, masked by y > 0
// when Relu (both loaded before the select, which keeps the loop vectorised).
template <class T, bool Relu>
void sum_row(const T* dy, const T* y, const T* x, std::int64_t len, T mean, double& sum_dy,
             double& sum_dy_centered) {
  for (std::int64_t start = 0; start < len; start += kBlock) {
    const std::int64_t end = std::min(len, start + kBlock);
    T s[kLanes] = {}, sc[kLanes] = {};
    std::int64_t i = start;
    const auto grad = [&](std::int64_t k) {
      T g = dy[k];
      if constexpr (Relu) {
        const T y_k = y[k];
        g = y_k > T(0) ? g : T(0);
      }
      return g;
    };
    for (; i + kLanes <= end; i += kLanes)
#pragma omp simd
      for (std::int64_t j = 0; j < kLanes; ++j) {
        const T g = grad(i + j);
        s[j] += g;
        sc[j] += g * (x[i + j] - mean);
      }
    T tail_s = 0, tail_sc = 0;
    for (; i < end; ++i) {
      const T g = grad(i);
      tail_s += g;
      tail_sc += g * (x[i] - mean);
    }
    sum_dy += static_cast<double>(lane_total(s) + tail_s);
    sum_dy_centered += static_cast<double>(lane_total(sc) + tail_sc);
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
  const std::int64_t channels = in.channels, inner = in.inner, rows = in.batch * channels;
  const bool parallel = rows * inner > kParallelWork;
  // Row r of a layout: image r / channels, channel r % channels.
  const auto row_of = [channels](const T* base, const ChannelLayout& l, std::int64_t r) {
    return base + (r / channels) * l.stride_n + (r % channels) * l.stride_c;
  };
  const double count = static_cast<double>(in.batch * inner);
  std::vector<double> row_dy(rows), row_dy_centered(rows);
#pragma omp parallel for if (parallel) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    double s = 0, sc = 0;
    sum_row<T, Relu>(row_of(dy, grad, r), Relu ? row_of(y, out, r) : nullptr, row_of(x, in, r),
                     inner, save_mean[r % channels], s, sc);
    row_dy[r] = s;
    row_dy_centered[r] = sc;
  }
  // dx = dy_scale·g − dy_shift − (x − mean)·xc_scale per channel.
  std::vector<T> dy_scale(channels), dy_shift(channels), xc_scale(channels);
  for (std::int64_t c = 0; c < channels; ++c) {
    double sum_dy = 0, sum_dy_centered = 0;
    for (std::int64_t n = 0; n < in.batch; ++n) {
      sum_dy += row_dy[n * channels + c];
      sum_dy_centered += row_dy_centered[n * channels + c];
    }
    const double invstd = save_invstd[c];
    const double sum_dy_xhat = sum_dy_centered * invstd;
    dgamma[c] = static_cast<T>(sum_dy_xhat);
    dbeta[c] = static_cast<T>(sum_dy);
    const double k = gamma.get(c, T(1)) * invstd;
    dy_scale[c] = static_cast<T>(k);
    dy_shift[c] = training ? static_cast<T>(k * sum_dy / count) : T(0);
    xc_scale[c] = training ? static_cast<T>(k * invstd * sum_dy_xhat / count) : T(0);
  }
#pragma omp parallel for if (parallel) schedule(static)
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t c = r % channels;
    grad_input_row<T, Relu>(row_of(dy, grad, r), Relu ? row_of(y, out, r) : nullptr,
                            row_of(x, in, r), dx + r * inner, inner, save_mean[c], dy_scale[c],
                            dy_shift[c], xc_scale[c]);
  }
}

}  // namespace

BatchNormForward batch_norm_forward_cpu(bool relu, const Tensor& x, const Tensor& residual,
                                        const Tensor& gamma, const Tensor& beta,
                                        const Tensor& running_mean, const Tensor& running_var,
                                        bool training, double momentum, double eps) {
  const ChannelLayout in = channel_layout(x);
  const ChannelLayout res = residual.defined() ? channel_layout(residual) : ChannelLayout{};
  BatchNormForward out{empty(x.shape(), {x.dtype()}), empty({in.channels}, {x.dtype()}),
                       empty({in.channels}, {x.dtype()})};
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (relu)
      forward_kernel<T, true>(in, res, gamma, beta, running_mean, running_var, training, momentum,
                              eps, out);
    else
      forward_kernel<T, false>(in, res, gamma, beta, running_mean, running_var, training, momentum,
                               eps, out);
  });
  return out;
}

BatchNormGrads batch_norm_backward_cpu(const Tensor& dy, const Tensor& y, const Tensor& x,
                                       const Tensor& gamma, const Tensor& save_mean,
                                       const Tensor& save_invstd, bool training) {
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

}  // namespace hs::ops::detail
