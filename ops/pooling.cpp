// Max, average and global average pooling: checks, window geometry, the dispatch to the CPU
// path (ops/cpu/pooling.h) and the CUDA operand layout.
#include "ops/pooling.h"

#include "cuda/pooling.h"
#include "kernels/pool_index.h"
#include "ops/cpu/pooling.h"
#include "ops/dispatch.h"

namespace hs::ops {
namespace {

using detail::PoolGeometry;
using detail::PoolPlanes;

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

// x's planes as both backends read them: channel slices and other views whose H·W planes are
// dense are read in place, anything else is copied once.
PoolPlanes as_planes(const Tensor& x) {
  PoolPlanes p{detail::has_dense_planes(x) ? x : x.contiguous()};
  p.stride_n = p.t.stride(0);
  p.stride_c = p.t.stride(1);
  return p;
}

cuda::PlanesRef planes_ref(const PoolPlanes& p) { return {p.t.data_ptr(), p.stride_n, p.stride_c}; }

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

}  // namespace

MaxPool2dForward max_pool2d_forward(const Tensor& x, Size2 kernel, std::optional<Size2> stride,
                                    Size2 padding) {
  const char* op = "max_pool2d";
  check_input(op, x);
  const PoolGeometry g = make_geometry(op, x.shape(), kernel, stride, padding);
  const PoolPlanes in = as_planes(x);
  return dispatch(
      op, x, [&] { return detail::max_pool2d_forward_cpu(g, in); },
      [&] {
        MaxPool2dForward result{empty(g.output_shape(), {x.dtype(), x.device()}),
                                empty(g.output_shape(), {DType::i64, x.device()})};
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
  const std::int64_t in_plane = input_shape[2] * input_shape[3];
  bool indices_in_range = true;
  Tensor dx = dispatch(
      op, dy,
      [&] { return detail::max_pool2d_backward_cpu(grad, idx, input_shape, indices_in_range); },
      [&] {
        Tensor out = empty(input_shape, {dy.dtype(), dy.device()});
        indices_in_range = cuda::max_pool2d_backward(
            dy.dtype(), input_shape[0] * input_shape[1], in_plane, idx.size(2) * idx.size(3),
            grad.data_ptr(), idx.data<std::int64_t>(), out.data_ptr());
        return out;
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
  const PoolPlanes in = as_planes(x);
  return dispatch(
      op, x, [&] { return detail::avg_pool2d_forward_cpu(g, in, count_include_pad); },
      [&] {
        Tensor y = empty(g.output_shape(), {x.dtype(), x.device()});
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
      op, dy, [&] { return detail::avg_pool2d_backward_cpu(g, grad, count_include_pad); },
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
  const PoolPlanes in = as_planes(x);
  return dispatch(
      op, x, [&] { return detail::global_avg_pool2d_forward_cpu(in); },
      [&] {
        Tensor y = empty({x.size(0), x.size(1), 1, 1}, {x.dtype(), x.device()});
        cuda::global_avg_pool2d_forward(x.dtype(), x.size(0), x.size(1), x.size(2) * x.size(3),
                                        planes_ref(in), y.data_ptr());
        return y;
      });
}

Tensor global_avg_pool2d_backward(const Tensor& dy, const Shape& input_shape) {
  const char* op = "global_avg_pool2d_backward";
  HS_CHECK(input_shape.size() == 4, op, ": expects a 4-D input shape, got ", input_shape);
  const Tensor grad = checked_grad(op, dy, {input_shape[0], input_shape[1], 1, 1});
  return dispatch(
      op, dy, [&] { return detail::global_avg_pool2d_backward_cpu(grad, input_shape); },
      [&] {
        Tensor dx = empty(input_shape, {dy.dtype(), dy.device()});
        cuda::global_avg_pool2d_backward(dy.dtype(), input_shape[0] * input_shape[1],
                                         input_shape[2] * input_shape[3], grad.data_ptr(),
                                         dx.data_ptr());
        return dx;
      });
}

}  // namespace hs::ops
