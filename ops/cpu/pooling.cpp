#include "ops/cpu/pooling.h"

#include <cmath>
#include <limits>

#include "ops/iteration.h"

namespace hs::ops::detail {
namespace {

template <class T>
void max_pool_plane(const T* in, T* out, std::int64_t* argmax, const PoolGeometry& g) {
  for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
    const PoolWindow wh = pool_window(oh, g.in_h, g.h);
    for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
      const PoolWindow ww = pool_window(ow, g.in_w, g.w);
      T best = -std::numeric_limits<T>::infinity();
      std::int64_t best_index = wh.begin * g.in_w + ww.begin;
      for (std::int64_t ih = wh.begin; ih < wh.end; ++ih) {
        for (std::int64_t iw = ww.begin; iw < ww.end; ++iw) {
          const T v = in[ih * g.in_w + iw];
          if (v > best || std::isnan(v)) {
            best = v;
            best_index = ih * g.in_w + iw;
          }
        }
      }
      out[oh * g.out_w + ow] = best;
      argmax[oh * g.out_w + ow] = best_index;
    }
  }
}

std::int64_t avg_divisor(const PoolWindow& wh, const PoolWindow& ww, bool count_include_pad) {
  return count_include_pad ? wh.padded_count * ww.padded_count
                           : (wh.end - wh.begin) * (ww.end - ww.begin);
}

template <class T>
void avg_pool_plane(const T* in, T* out, const PoolGeometry& g, bool count_include_pad) {
  for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
    const PoolWindow wh = pool_window(oh, g.in_h, g.h);
    for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
      const PoolWindow ww = pool_window(ow, g.in_w, g.w);
      double sum = 0;
      for (std::int64_t ih = wh.begin; ih < wh.end; ++ih)
        for (std::int64_t iw = ww.begin; iw < ww.end; ++iw) sum += in[ih * g.in_w + iw];
      out[oh * g.out_w + ow] = static_cast<T>(sum / avg_divisor(wh, ww, count_include_pad));
    }
  }
}

template <class T>
void avg_pool_plane_backward(const T* dy, T* dx, const PoolGeometry& g, bool count_include_pad) {
  for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
    const PoolWindow wh = pool_window(oh, g.in_h, g.h);
    for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
      const PoolWindow ww = pool_window(ow, g.in_w, g.w);
      const T share =
          dy[oh * g.out_w + ow] / static_cast<T>(avg_divisor(wh, ww, count_include_pad));
      for (std::int64_t ih = wh.begin; ih < wh.end; ++ih)
        for (std::int64_t iw = ww.begin; iw < ww.end; ++iw) dx[ih * g.in_w + iw] += share;
    }
  }
}

}  // namespace

MaxPool2dForward max_pool2d_forward_cpu(const PoolGeometry& g, const PoolPlanes& x) {
  MaxPool2dForward result{empty(g.output_shape(), {x.t.dtype()}),
                          empty(g.output_shape(), {DType::i64})};
  dispatch_floating(x.t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = x.t.data<T>();
    T* dst = result.y.data<T>();
    std::int64_t* argmax = result.indices.data<std::int64_t>();
    const std::int64_t out_plane = g.out_h * g.out_w;
#pragma omp parallel for if (x.t.numel() > kParallelWork)
    for (std::int64_t p = 0; p < g.planes(); ++p) {
      const T* plane = src + (p / g.channels) * x.stride_n + (p % g.channels) * x.stride_c;
      max_pool_plane(plane, dst + p * out_plane, argmax + p * out_plane, g);
    }
  });
  return result;
}

Tensor max_pool2d_backward_cpu(const Tensor& dy, const Tensor& indices, const Shape& input_shape,
                               bool& indices_in_range) {
  const std::int64_t planes = input_shape[0] * input_shape[1];
  const std::int64_t in_plane = input_shape[2] * input_shape[3];
  const std::int64_t out_plane = indices.size(2) * indices.size(3);
  Tensor dx = zeros(input_shape, {dy.dtype()});
  bool in_range = true;
  dispatch_floating(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* g = dy.data<T>();
    const std::int64_t* where = indices.data<std::int64_t>();
    T* out = dx.data<T>();
#pragma omp parallel for if (dx.numel() > kParallelWork) reduction(&& : in_range)
    for (std::int64_t p = 0; p < planes; ++p) {
      for (std::int64_t i = p * out_plane; i < (p + 1) * out_plane; ++i) {
        const std::int64_t target = where[i];
        if (target < 0 || target >= in_plane) {
          in_range = false;
          continue;
        }
        out[p * in_plane + target] += g[i];
      }
    }
  });
  indices_in_range = in_range;
  return dx;
}

Tensor avg_pool2d_forward_cpu(const PoolGeometry& g, const PoolPlanes& x, bool count_include_pad) {
  Tensor y = empty(g.output_shape(), {x.t.dtype()});
  dispatch_floating(x.t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = x.t.data<T>();
    T* dst = y.data<T>();
    const std::int64_t out_plane = g.out_h * g.out_w;
#pragma omp parallel for if (x.t.numel() > kParallelWork)
    for (std::int64_t p = 0; p < g.planes(); ++p) {
      const T* plane = src + (p / g.channels) * x.stride_n + (p % g.channels) * x.stride_c;
      avg_pool_plane(plane, dst + p * out_plane, g, count_include_pad);
    }
  });
  return y;
}

Tensor avg_pool2d_backward_cpu(const PoolGeometry& g, const Tensor& dy, bool count_include_pad) {
  Tensor dx = zeros({g.batch, g.channels, g.in_h, g.in_w}, {dy.dtype()});
  dispatch_floating(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = dy.data<T>();
    T* dst = dx.data<T>();
    const std::int64_t out_plane = g.out_h * g.out_w;
    const std::int64_t in_plane = g.in_h * g.in_w;
#pragma omp parallel for if (dx.numel() > kParallelWork)
    for (std::int64_t p = 0; p < g.planes(); ++p)
      avg_pool_plane_backward(src + p * out_plane, dst + p * in_plane, g, count_include_pad);
  });
  return dx;
}

Tensor global_avg_pool2d_forward_cpu(const PoolPlanes& x) {
  const std::int64_t channels = x.t.size(1);
  const std::int64_t planes = x.t.size(0) * channels;
  const std::int64_t plane_size = x.t.size(2) * x.t.size(3);
  Tensor y = empty({x.t.size(0), channels, 1, 1}, {x.t.dtype()});
  dispatch_floating(x.t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = x.t.data<T>();
    T* dst = y.data<T>();
#pragma omp parallel for if (x.t.numel() > kParallelWork)
    for (std::int64_t p = 0; p < planes; ++p) {
      const T* plane = src + (p / channels) * x.stride_n + (p % channels) * x.stride_c;
      double sum = 0;
      for (std::int64_t i = 0; i < plane_size; ++i) sum += plane[i];
      dst[p] = static_cast<T>(sum / static_cast<double>(plane_size));
    }
  });
  return y;
}

Tensor global_avg_pool2d_backward_cpu(const Tensor& dy, const Shape& input_shape) {
  const std::int64_t planes = input_shape[0] * input_shape[1];
  const std::int64_t plane_size = input_shape[2] * input_shape[3];
  Tensor dx = empty(input_shape, {dy.dtype()});
  dispatch_floating(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = dy.data<T>();
    T* dst = dx.data<T>();
    const T scale = T(1) / static_cast<T>(plane_size);
#pragma omp parallel for if (dx.numel() > kParallelWork)
    for (std::int64_t p = 0; p < planes; ++p) {
      const T share = src[p] * scale;
      for (std::int64_t i = 0; i < plane_size; ++i) dst[p * plane_size + i] = share;
    }
  });
  return dx;
}

}  // namespace hs::ops::detail
