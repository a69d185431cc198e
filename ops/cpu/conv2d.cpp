#include "ops/cpu/conv2d.h"

#include <atomic>
#include <type_traits>
#include <vector>

#include "core/threads.h"
#include "ops/cpu/conv2d_direct.h"
#include "ops/cpu/conv2d_gemm.h"
#include "ops/cpu/planes.h"
#include "ops/cpu/scratch.h"
#include "ops/cpu/thread_partials.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops::detail {
namespace {

std::atomic<Conv2dCpuAlgorithm> g_algorithm{Conv2dCpuAlgorithm::automatic};

// The direct kernel keeps at most 6 output channels in registers and re-reads the padded
// image for every further block; measured with bench/ops (3x3 layers of hs_resnet29_cifar,
// 2 threads) it beats the GEMMs on all of them, up to the 56 channels of stage 3.
constexpr int64_t kMaxDirectOutChannels = 64;

bool direct_applies(const Conv2dGeometry& d) {
  const Im2colGeometry& g = d.image;
  const Conv2dCpuAlgorithm algorithm = g_algorithm.load(std::memory_order_relaxed);
  if (algorithm == Conv2dCpuAlgorithm::gemm || !direct_conv_cpu_supported()) return false;
  const bool possible = d.groups == 1 && g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 &&
                        g.dil_w == 1 && g.kernel_h * g.kernel_w > 1;
  if (!possible || algorithm == Conv2dCpuAlgorithm::direct) return possible;
  // Images are spread over the threads: a batch smaller than the team leaves them idle.
  return d.out_c <= kMaxDirectOutChannels && d.batch >= num_threads();
}

DirectConvGeometry direct_geometry(const Conv2dGeometry& d) {
  const Im2colGeometry& g = d.image;
  return {d.in_c,  g.in_h,     g.in_w,     d.out_c, g.out_h,
          g.out_w, g.kernel_h, g.kernel_w, g.pad_h, g.pad_w};
}

// The direct weight gradient sums each (channel, tap) over a whole output plane in vector
// lanes and then across them; on planes under 256 pixels (the 8x8 layers) that overhead
// makes it slower than the GEMM (0.5x in bench/ops), so by default it needs 16x16 or more.
constexpr int64_t kMinDirectGradPlane = 256;

bool direct_weight_grad_applies(const Conv2dGeometry& d, const Conv2dCpuPlan& plan) {
  if (!plan.direct_f32 || !direct_conv_weight_grad_supported(direct_geometry(d))) return false;
  return g_algorithm.load(std::memory_order_relaxed) == Conv2dCpuAlgorithm::direct ||
         d.out_plane() >= kMinDirectGradPlane;
}

// y = conv(x, w) + bias by the direct kernel, images spread over the threads.
void direct_forward(const Conv2dGeometry& d, const Planes<float>& x, const float* w,
                    const float* bias, bool relu, float* y) {
  const DirectConvGeometry g = direct_geometry(d);
  std::vector<float> packed(direct_conv_packed_weight_size(g));
  direct_conv_pack_weights(g, w, packed.data());
  const int64_t padded_size = direct_conv_padded_image_size(g);
  const int64_t y_image = d.out_c * d.out_plane();
#pragma omp parallel for schedule(static) if (d.batch > 1)
  for (int64_t n = 0; n < d.batch; ++n)
    direct_conv_image(g, x.image(n), x.channel_stride, packed.data(), bias, relu,
                      scratch<float>(Scratch::columns, padded_size), y + n * y_image);
}

// dw by the direct kernel, images spread over the threads.
void direct_backward_weight(const Conv2dGeometry& d, const Planes<float>& x,
                            const Planes<float>& dy, float* dw) {
  const DirectConvGeometry g = direct_geometry(d);
  const int64_t padded_size = direct_conv_padded_image_size(g);
  sum_thread_partials(d.out_c * d.gemm_k(), dw, [&](float* partial) {
#pragma omp for schedule(static)
    for (int64_t n = 0; n < d.batch; ++n)
      direct_conv_weight_grad_image(g, x.image(n), x.channel_stride, dy.image(n), dy.channel_stride,
                                    scratch<float>(Scratch::columns, padded_size), partial);
  });
}

// ---------------------------------------------------------------------------------------
// Backward input of a stride-1 convolution as a forward convolution: dx = conv(dy, W'), W'
// the kernel flipped in space with input and output channels swapped (per group), padding
// dilation * (kernel - 1) - padding. It does the same GEMM work as columns-then-col2im, but
// the GEMM writes dx itself instead of a kernel_h * kernel_w times larger column matrix that
// must be zeroed and then scattered back: 1.1-1.7x faster on the 3x3 layers of bench/ops.
// Its GEMM has one row per input channel of a group, so few input channels (a 3-channel
// stem: 3 rows) keep the column-matrix way, which is 3x faster there.

bool backward_input_as_forward(const Conv2dGeometry& d, const Conv2dParams& p) {
  constexpr int64_t kMinGemmRows = 8;
  return !d.pointwise() && d.in_c / d.groups >= kMinGemmRows && p.stride_h == 1 &&
         p.stride_w == 1 && p.pad_h <= p.dil_h * (d.image.kernel_h - 1) &&
         p.pad_w <= p.dil_w * (d.image.kernel_w - 1);
}

template <class T>
Tensor flipped_transposed_kernel(const Tensor& w, const Conv2dGeometry& d) {
  const int64_t kh = d.image.kernel_h, kw = d.image.kernel_w, taps = kh * kw;
  const int64_t out_g = d.out_c_group, in_g = d.in_c / d.groups;
  Tensor flipped = empty({d.in_c, out_g, kh, kw}, {w.dtype(), w.device()});
  const Tensor wc = w.contiguous();
  const T* src = wc.data<T>();
  T* dst = flipped.data<T>();
  for (int64_t g = 0; g < d.groups; ++g)
    for (int64_t o = 0; o < out_g; ++o)
      for (int64_t i = 0; i < in_g; ++i) {
        const T* from = src + ((g * out_g + o) * in_g + i) * taps;
        T* to = dst + ((g * in_g + i) * out_g + o) * taps;
        for (int64_t t = 0; t < taps; ++t) to[t] = from[taps - 1 - t];
      }
  return flipped;
}

}  // namespace

Conv2dCpuPlan conv2d_cpu_make_plan(const Conv2dGeometry& d) {
  Conv2dCpuPlan plan = conv2d_gemm_plan(d);
  plan.direct_f32 = direct_applies(d);
  return plan;
}

Tensor conv2d_forward_cpu(const Conv2dGeometry& d, const Tensor& x, const Tensor& w,
                          const Tensor& bias, Conv2dActivation activation) {
  const Conv2dCpuPlan plan = conv2d_cpu_make_plan(d);
  const bool relu = activation == Conv2dActivation::relu;
  Tensor y = empty(conv2d_y_shape(d), {x.dtype(), x.device()});
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Planes<T> xp = as_planes<T>(x);
    const Tensor wc = w.contiguous();
    const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
    const T* w_data = wc.data<T>();
    const T* b_data = bc.defined() ? bc.data<T>() : nullptr;
    T* y_data = y.data<T>();
    if constexpr (std::is_same_v<T, float>) {
      if (plan.direct_f32) return direct_forward(d, xp, w_data, b_data, relu, y_data);
    }
    conv2d_gemm_forward(d, plan, xp, w_data, b_data, relu, y_data);
  });
  return y;
}

Tensor conv2d_backward_input_cpu(const Conv2dGeometry& d, const Tensor& grad_out, const Tensor& w,
                                 const Conv2dParams& params) {
  if (backward_input_as_forward(d, params)) {
    const Tensor flipped = dispatch_floating(
        w.dtype(), [&](auto tag) { return flipped_transposed_kernel<decltype(tag)>(w, d); });
    Conv2dParams as_forward = params;
    as_forward.pad_h = params.dil_h * (d.image.kernel_h - 1) - params.pad_h;
    as_forward.pad_w = params.dil_w * (d.image.kernel_w - 1) - params.pad_w;
    return conv2d_forward(grad_out, flipped, Tensor(), as_forward);
  }
  const Conv2dCpuPlan plan = conv2d_cpu_make_plan(d);
  Tensor dx = empty(conv2d_x_shape(d), {w.dtype(), w.device()});
  dispatch_floating(w.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Planes<T> dyp = as_planes<T>(grad_out);
    const Tensor wc = w.contiguous();
    conv2d_gemm_backward_input(d, plan, dyp, wc.data<T>(), dx.data<T>());
  });
  return dx;
}

Tensor conv2d_backward_weight_cpu(const Conv2dGeometry& d, const Tensor& grad_out,
                                  const Tensor& x) {
  const Conv2dCpuPlan plan = conv2d_cpu_make_plan(d);
  Tensor dw = empty(conv2d_w_shape(d), {x.dtype(), x.device()});
  dispatch_floating(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Planes<T> xp = as_planes<T>(x);
    const Planes<T> dyp = as_planes<T>(grad_out);
    if constexpr (std::is_same_v<T, float>) {
      if (direct_weight_grad_applies(d, plan))
        return direct_backward_weight(d, xp, dyp, dw.data<float>());
    }
    conv2d_gemm_backward_weight(d, plan, xp, dyp, dw.data<T>());
  });
  return dw;
}

Tensor conv2d_backward_bias_cpu(const Tensor& grad_out) {
  const int64_t batch = grad_out.size(0), channels = grad_out.size(1);
  const int64_t p = grad_out.size(2) * grad_out.size(3);
  Tensor db = empty({channels}, {grad_out.dtype(), grad_out.device()});
  dispatch_floating(grad_out.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const Planes<T> dy = as_planes<T>(grad_out);
    T* out = db.data<T>();
#pragma omp parallel for schedule(static) if (batch * channels * p > kParallelWork)
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const T* row = dy.image(n) + c * dy.channel_stride;
        T partial = 0;
        for (int64_t j = 0; j < p; ++j) partial += row[j];
        sum += partial;
      }
      out[c] = static_cast<T>(sum);
    }
  });
  return db;
}

}  // namespace hs::ops::detail

namespace hs::ops {

void set_conv2d_cpu_algorithm(Conv2dCpuAlgorithm algorithm) {
  detail::g_algorithm.store(algorithm, std::memory_order_relaxed);
}

Conv2dCpuAlgorithm conv2d_cpu_algorithm() {
  return detail::g_algorithm.load(std::memory_order_relaxed);
}

}  // namespace hs::ops
