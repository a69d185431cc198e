#include "ops/pooling.h"

#include <cmath>
#include <limits>

#include "cuda/pooling.h"
#include "kernels/pool_index.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {
namespace {

// Resolved window geometry of one pooling call over [N,C,in_h,in_w] planes.
struct PoolGeometry {
  std::int64_t batch = 0, channels = 0;
  std::int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  PoolAxis h, w;

  std::int64_t planes() const { return batch * channels; }
  Shape output_shape() const { return {batch, channels, out_h, out_w}; }
};

PoolGeometry make_geometry(const char* op, const Shape& in, Size2 kernel,
                           std::optional<Size2> stride, Size2 padding) {
  HS_CHECK(in.size() == 4, op, ": expects a 4-D [N,C,H,W] input, got ", in);
  const Size2 step = stride.value_or(kernel);
  HS_CHECK(kernel.h >= 1 && kernel.w >= 1, op, ": kernel must be at least 1, got ", kernel);
  HS_CHECK(step.h >= 1 && step.w >= 1, op, ": stride must be at least 1, got ", step);
  HS_CHECK(
      padding.h >= 0 && padding.w >= 0 && padding.h <= kernel.h / 2 && padding.w <= kernel.w / 2,
      op, ": padding ", padding, " must lie between 0 and half the kernel ", kernel);
  PoolGeometry g;
  g.batch = in[0];
  g.channels = in[1];
  g.in_h = in[2];
  g.in_w = in[3];
  g.h = {kernel.h, step.h, padding.h};
  g.w = {kernel.w, step.w, padding.w};
  g.out_h = pool_output_size(g.in_h, g.h);
  g.out_w = pool_output_size(g.in_w, g.w);
  HS_CHECK(g.out_h >= 1 && g.out_w >= 1, op, ": input ", in, " is too small for kernel ", kernel,
           " with padding ", padding, " (output would be ", g.out_h, "x", g.out_w, ")");
  return g;
}

void check_input(const char* op, const Tensor& x) {
  detail::check_defined(op, x, "input");
  detail::check_floating(op, x);
}

// x's planes as base + n * stride_n + c * stride_c + (h * W + w): channel slices and other
// views whose H·W planes are dense are read in place, anything else is copied once.
struct Planes {
  Tensor t;
  std::int64_t stride_n = 0, stride_c = 0;
};

Planes as_planes(const Tensor& x) {
  Planes p{detail::has_dense_planes(x) ? x : x.contiguous()};
  p.stride_n = p.t.stride(0);
  p.stride_c = p.t.stride(1);
  return p;
}

cuda::PlanesRef planes_ref(const Planes& p) { return {p.t.data_ptr(), p.stride_n, p.stride_c}; }

cuda::PoolShape pool_shape(const PoolGeometry& g) {
  return {g.batch, g.channels, g.in_h, g.in_w, g.out_h, g.out_w, g.h, g.w};
}

// A gradient of shape `expected` made contiguous, after checking it matches the forward.
Tensor checked_grad(const char* op, const Tensor& dy, const Shape& expected) {
  detail::check_defined(op, dy, "grad");
  detail::check_floating(op, dy);
  HS_CHECK(dy.shape() == expected, op, ": grad has shape ", dy.shape(), ", expected ", expected);
  return dy.contiguous();
}

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

MaxPool2dForward max_pool2d_forward(const Tensor& x, Size2 kernel, std::optional<Size2> stride,
                                    Size2 padding) {
  const char* op = "max_pool2d";
  check_input(op, x);
  const PoolGeometry g = make_geometry(op, x.shape(), kernel, stride, padding);
  const Planes in = as_planes(x);
  MaxPool2dForward result{empty(g.output_shape(), {x.dtype(), x.device()}),
                          empty(g.output_shape(), {DType::i64, x.device()})};
  return dispatch(
      op, x,
      [&] {
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = in.t.data<T>();
          T* dst = result.y.data<T>();
          std::int64_t* argmax = result.indices.data<std::int64_t>();
          const std::int64_t out_plane = g.out_h * g.out_w;
#pragma omp parallel for if (x.numel() > kParallelWork)
          for (std::int64_t p = 0; p < g.planes(); ++p) {
            const T* plane = src + (p / g.channels) * in.stride_n + (p % g.channels) * in.stride_c;
            max_pool_plane(plane, dst + p * out_plane, argmax + p * out_plane, g);
          }
        });
        return result;
      },
      [&] {
        cuda::max_pool2d_forward(x.dtype(), pool_shape(g), planes_ref(in), result.y.data_ptr(),
                                 result.indices.data<std::int64_t>());
        return result;
      });
}

Tensor max_pool2d_backward(const Tensor& dy, const Tensor& indices, const Shape& input_shape) {
  const char* op = "max_pool2d_backward";
  HS_CHECK(input_shape.size() == 4, op, ": expects a 4-D input shape, got ", input_shape);
  detail::check_defined(op, indices, "indices");
  HS_CHECK(indices.dtype() == DType::i64, op, ": indices must be i64, got ", indices.dtype());
  const Tensor grad = checked_grad(op, dy, indices.shape());
  HS_CHECK(indices.device() == dy.device(), op, ": indices are on ", indices.device(),
           " but grad is on ", dy.device());
  HS_CHECK(
      indices.dim() == 4 && indices.size(0) == input_shape[0] && indices.size(1) == input_shape[1],
      op, ": indices ", indices.shape(), " do not belong to input ", input_shape);
  const Tensor idx = indices.contiguous();
  const std::int64_t planes = input_shape[0] * input_shape[1];
  const std::int64_t in_plane = input_shape[2] * input_shape[3];
  const std::int64_t out_plane = idx.size(2) * idx.size(3);
  bool indices_in_range = true;
  Tensor dx;
  dispatch(
      op, dy,
      [&] {
        dx = zeros(input_shape, {dy.dtype()});
        dispatch_floating(dy.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* g = grad.data<T>();
          const std::int64_t* where = idx.data<std::int64_t>();
          T* out = dx.data<T>();
#pragma omp parallel for if (dx.numel() > kParallelWork) reduction(&& : indices_in_range)
          for (std::int64_t p = 0; p < planes; ++p) {
            for (std::int64_t i = p * out_plane; i < (p + 1) * out_plane; ++i) {
              const std::int64_t target = where[i];
              if (target < 0 || target >= in_plane) {
                indices_in_range = false;
                continue;
              }
              out[p * in_plane + target] += g[i];
            }
          }
        });
      },
      [&] {
        dx = empty(input_shape, {dy.dtype(), dy.device()});
        indices_in_range =
            cuda::max_pool2d_backward(dy.dtype(), planes, in_plane, out_plane, grad.data_ptr(),
                                      idx.data<std::int64_t>(), dx.data_ptr());
      });
  HS_CHECK(indices_in_range, op, ": indices hold values outside [0, ", in_plane, ") for input ",
           input_shape);
  return dx;
}

Tensor avg_pool2d_forward(const Tensor& x, Size2 kernel, std::optional<Size2> stride, Size2 padding,
                          bool count_include_pad) {
  const char* op = "avg_pool2d";
  check_input(op, x);
  const PoolGeometry g = make_geometry(op, x.shape(), kernel, stride, padding);
  const Planes in = as_planes(x);
  Tensor y = empty(g.output_shape(), {x.dtype(), x.device()});
  return dispatch(
      op, x,
      [&] {
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = in.t.data<T>();
          T* dst = y.data<T>();
          const std::int64_t out_plane = g.out_h * g.out_w;
#pragma omp parallel for if (x.numel() > kParallelWork)
          for (std::int64_t p = 0; p < g.planes(); ++p) {
            const T* plane = src + (p / g.channels) * in.stride_n + (p % g.channels) * in.stride_c;
            avg_pool_plane(plane, dst + p * out_plane, g, count_include_pad);
          }
        });
        return y;
      },
      [&] {
        cuda::avg_pool2d_forward(x.dtype(), pool_shape(g), planes_ref(in), count_include_pad,
                                 y.data_ptr());
        return y;
      });
}

Tensor avg_pool2d_backward(const Tensor& dy, const Shape& input_shape, Size2 kernel,
                           std::optional<Size2> stride, Size2 padding, bool count_include_pad) {
  const char* op = "avg_pool2d_backward";
  const PoolGeometry g = make_geometry(op, input_shape, kernel, stride, padding);
  const Tensor grad = checked_grad(op, dy, g.output_shape());
  return dispatch(
      op, dy,
      [&] {
        Tensor dx = zeros(input_shape, {dy.dtype()});
        dispatch_floating(dy.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = grad.data<T>();
          T* dst = dx.data<T>();
          const std::int64_t out_plane = g.out_h * g.out_w;
          const std::int64_t in_plane = g.in_h * g.in_w;
#pragma omp parallel for if (dx.numel() > kParallelWork)
          for (std::int64_t p = 0; p < g.planes(); ++p)
            avg_pool_plane_backward(src + p * out_plane, dst + p * in_plane, g, count_include_pad);
        });
        return dx;
      },
      [&] {
        Tensor dx = empty(input_shape, {dy.dtype(), dy.device()});
        cuda::avg_pool2d_backward(dy.dtype(), pool_shape(g), grad.data_ptr(), count_include_pad,
                                  dx.data_ptr());
        return dx;
      });
}

Tensor global_avg_pool2d_forward(const Tensor& x) {
  const char* op = "global_avg_pool2d";
  check_input(op, x);
  HS_CHECK(x.dim() == 4, op, ": expects a 4-D [N,C,H,W] input, got ", x.shape());
  HS_CHECK(x.size(2) * x.size(3) > 0, op, ": input ", x.shape(), " has empty planes");
  const Planes in = as_planes(x);
  const std::int64_t channels = x.size(1);
  const std::int64_t planes = x.size(0) * channels;
  const std::int64_t plane_size = x.size(2) * x.size(3);
  Tensor y = empty({x.size(0), channels, 1, 1}, {x.dtype(), x.device()});
  return dispatch(
      op, x,
      [&] {
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = in.t.data<T>();
          T* dst = y.data<T>();
#pragma omp parallel for if (x.numel() > kParallelWork)
          for (std::int64_t p = 0; p < planes; ++p) {
            const T* plane = src + (p / channels) * in.stride_n + (p % channels) * in.stride_c;
            double sum = 0;
            for (std::int64_t i = 0; i < plane_size; ++i) sum += plane[i];
            dst[p] = static_cast<T>(sum / static_cast<double>(plane_size));
          }
        });
        return y;
      },
      [&] {
        cuda::global_avg_pool2d_forward(x.dtype(), x.size(0), channels, plane_size, planes_ref(in),
                                        y.data_ptr());
        return y;
      });
}

Tensor global_avg_pool2d_backward(const Tensor& dy, const Shape& input_shape) {
  const char* op = "global_avg_pool2d_backward";
  HS_CHECK(input_shape.size() == 4, op, ": expects a 4-D input shape, got ", input_shape);
  const Tensor grad = checked_grad(op, dy, {input_shape[0], input_shape[1], 1, 1});
  const std::int64_t planes = input_shape[0] * input_shape[1];
  const std::int64_t plane_size = input_shape[2] * input_shape[3];
  Tensor dx = empty(input_shape, {dy.dtype(), dy.device()});
  return dispatch(
      op, dy,
      [&] {
        dispatch_floating(dy.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = grad.data<T>();
          T* dst = dx.data<T>();
          const T scale = T(1) / static_cast<T>(plane_size);
#pragma omp parallel for if (dx.numel() > kParallelWork)
          for (std::int64_t p = 0; p < planes; ++p) {
            const T share = src[p] * scale;
            for (std::int64_t i = 0; i < plane_size; ++i) dst[p * plane_size + i] = share;
          }
        });
        return dx;
      },
      [&] {
        cuda::global_avg_pool2d_backward(dy.dtype(), planes, plane_size, grad.data_ptr(),
                                         dx.data_ptr());
        return dx;
      });
}

}  // namespace hs::ops
