// The 2-D convolution: argument checks, the geometry they resolve, and the dispatch to the
// CPU path (ops/cpu/conv2d.h) or the CUDA path (cuda/conv2d.h, operands laid out here).
#include "ops/conv2d.h"

#include "cuda/conv2d.h"
#include "kernels/conv2d_geometry.h"
#include "kernels/im2col_index.h"
#include "ops/cpu/conv2d.h"
#include "ops/dispatch.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace hs::ops {
namespace {

using std::int64_t;

// ---------------------------------------------------------------------------------------
// Shapes and argument checks.

Conv2dGeometry check_shapes(const char* op, const Shape& x, const Shape& w, const Conv2dParams& p) {
  HS_CHECK(x.size() == 4, op, ": input must be 4-D [N,C,H,W], got ", x);
  HS_CHECK(w.size() == 4, op, ": weight must be 4-D [Cout,Cin/groups,KH,KW], got ", w);
  HS_CHECK(p.stride_h >= 1 && p.stride_w >= 1, op, ": stride must be >= 1, got ", p.stride_h, "x",
           p.stride_w);
  HS_CHECK(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding must be >= 0, got ", p.pad_h, "x", p.pad_w);
  HS_CHECK(p.dil_h >= 1 && p.dil_w >= 1, op, ": dilation must be >= 1, got ", p.dil_h, "x",
           p.dil_w);
  HS_CHECK(p.groups >= 1, op, ": groups must be >= 1, got ", p.groups);
  HS_CHECK(x[0] >= 1, op, ": empty batch (input ", x, ")");
  HS_CHECK(w[0] >= 1 && w[1] >= 1 && w[2] >= 1 && w[3] >= 1, op,
           ": weight extents must be >= 1, got ", w);
  HS_CHECK(x[1] % p.groups == 0, op, ": ", p.groups, " groups do not divide the input's ", x[1],
           " channels (input ", x, ", weight ", w, ")");
  HS_CHECK(w[0] % p.groups == 0, op, ": ", p.groups, " groups do not divide the weight's ", w[0],
           " output channels (input ", x, ", weight ", w, ")");
  if (p.groups == 1) {
    HS_CHECK(x[1] == w[1], op, ": input has ", x[1], " channels but weight expects ", w[1],
             " (input ", x, ", weight ", w, ")");
  } else {
    HS_CHECK(x[1] == w[1] * p.groups, op, ": input has ", x[1], " channels but weight expects ",
             w[1] * p.groups, " (", w[1], " per group, ", p.groups, " groups; input ", x,
             ", weight ", w, ")");
  }
  Conv2dGeometry d;
  d.batch = x[0];
  d.in_c = x[1];
  d.out_c = w[0];
  d.groups = p.groups;
  d.in_c_group = w[1];
  d.out_c_group = w[0] / p.groups;
  const int64_t out_h = conv_output_size(x[2], w[2], p.stride_h, p.pad_h, p.dil_h);
  const int64_t out_w = conv_output_size(x[3], w[3], p.stride_w, p.pad_w, p.dil_w);
  HS_CHECK(out_h >= 1 && out_w >= 1, op, ": kernel ", w[2], "x", w[3], " (dilation ", p.dil_h, "x",
           p.dil_w, ") does not fit the input ", x[2], "x", x[3], " padded by ", p.pad_h, "x",
           p.pad_w, " (input ", x, ", weight ", w, ")");
  d.image = {x[1],       x[2],       x[3],    w[2],    w[3],    out_h,  out_w,
             p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w};
  return d;
}

void check_tensor(const char* op, const Tensor& t, const char* what) {
  detail::check_defined(op, t, what);
  detail::check_floating(op, t);
}

// Checks a gradient w.r.t. the forward's output against the shape it must have.
void check_grad_out(const char* op, const Tensor& dy, const Conv2dGeometry& d) {
  HS_CHECK(dy.shape() == detail::conv2d_y_shape(d), op, ": grad_out has shape ", dy.shape(),
           ", expected ", detail::conv2d_y_shape(d), " (input ", detail::conv2d_x_shape(d),
           ", weight ", detail::conv2d_w_shape(d), ")");
}

}  // namespace

Conv2dCpuPlan conv2d_cpu_plan(const Shape& x_shape, const Shape& w_shape,
                              const Conv2dParams& params) {
  return detail::conv2d_cpu_make_plan(check_shapes("conv2d", x_shape, w_shape, params));
}

namespace {

// ---- The CUDA path: the operands laid out for cuda/conv2d.cu, results allocated on the GPU.

// A 4-D tensor as a batch of dense [C, H*W] planes: in place when its layout allows (channel
// slices of a bigger tensor among them), else a contiguous copy. `keep` holds the storage.
struct DevicePlanes {
  Tensor keep;
  cuda::PlanesRef ref;
};

DevicePlanes device_planes(const Tensor& t) {
  const int64_t plane = t.size(2) * t.size(3);
  // cuBLAS reads a plane matrix [C, H*W] with leading dimension channel_stride >= H*W.
  const bool dense_channels = t.size(1) <= 1 || t.stride(1) >= plane;
  DevicePlanes p;
  p.keep = detail::has_dense_planes(t) && dense_channels ? t : t.contiguous();
  p.ref.data = p.keep.data_ptr();
  p.ref.image_stride = p.keep.stride(0);
  p.ref.channel_stride = p.keep.size(1) <= 1 ? plane : p.keep.stride(1);
  return p;
}

Tensor conv2d_forward_cuda(const Conv2dGeometry& d, const Tensor& x, const Tensor& w,
                           const Tensor& bias) {
  Tensor y = empty(detail::conv2d_y_shape(d), {x.dtype(), x.device()});
  const DevicePlanes xp = device_planes(x);
  const Tensor wc = w.contiguous();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  cuda::conv2d_forward(x.dtype(), d, xp.ref, wc.data_ptr(), bc.defined() ? bc.data_ptr() : nullptr,
                       y.data_ptr());
  return y;
}

Tensor conv2d_backward_input_cuda(const Conv2dGeometry& d, const Tensor& grad_out,
                                  const Tensor& w) {
  Tensor dx = empty(detail::conv2d_x_shape(d), {w.dtype(), w.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const Tensor wc = w.contiguous();
  cuda::conv2d_backward_input(w.dtype(), d, dy.ref, wc.data_ptr(), dx.data_ptr());
  return dx;
}

Tensor conv2d_backward_weight_cuda(const Conv2dGeometry& d, const Tensor& grad_out,
                                   const Tensor& x) {
  Tensor dw = empty(detail::conv2d_w_shape(d), {x.dtype(), x.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const DevicePlanes xp = device_planes(x);
  cuda::conv2d_backward_weight(x.dtype(), d, dy.ref, xp.ref, dw.data_ptr());
  return dw;
}

Tensor conv2d_backward_bias_cuda(const Tensor& grad_out) { return sum(grad_out, {0, 2, 3}); }

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                      const Conv2dParams& params, Conv2dActivation activation) {
  constexpr const char* op = "conv2d";
  check_tensor(op, x, "input");
  check_tensor(op, w, "weight");
  const Conv2dGeometry d = check_shapes(op, x.shape(), w.shape(), params);
  detail::check_same_dtype_device(op, x, w);
  if (bias.defined()) {
    HS_CHECK(bias.shape() == Shape{d.out_c}, op, ": bias must have shape [", d.out_c,
             "] (one value per output channel), got ", bias.shape(), " (weight ", w.shape(), ")");
    detail::check_same_dtype_device(op, x, bias);
  }
  return dispatch(
      op, x, [&] { return detail::conv2d_forward_cpu(d, x, w, bias, activation); },
      [&] {
        // Not fused on the GPU yet: a ReLU pass of its own.
        const Tensor y = conv2d_forward_cuda(d, x, w, bias);
        return activation == Conv2dActivation::relu ? relu(y) : y;
      });
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const Conv2dParams& params) {
  constexpr const char* op = "conv2d_backward_input";
  check_tensor(op, grad_out, "grad_out");
  check_tensor(op, w, "weight");
  const Conv2dGeometry d = check_shapes(op, x_shape, w.shape(), params);
  check_grad_out(op, grad_out, d);
  detail::check_same_dtype_device(op, grad_out, w);
  return dispatch(
      op, grad_out, [&] { return detail::conv2d_backward_input_cpu(d, grad_out, w, params); },
      [&] { return conv2d_backward_input_cuda(d, grad_out, w); });
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const Conv2dParams& params) {
  constexpr const char* op = "conv2d_backward_weight";
  check_tensor(op, grad_out, "grad_out");
  check_tensor(op, x, "input");
  const Conv2dGeometry d = check_shapes(op, x.shape(), w_shape, params);
  check_grad_out(op, grad_out, d);
  detail::check_same_dtype_device(op, grad_out, x);
  return dispatch(
      op, x, [&] { return detail::conv2d_backward_weight_cpu(d, grad_out, x); },
      [&] { return conv2d_backward_weight_cuda(d, grad_out, x); });
}

Tensor conv2d_backward_bias(const Tensor& grad_out) {
  constexpr const char* op = "conv2d_backward_bias";
  check_tensor(op, grad_out, "grad_out");
  HS_CHECK(grad_out.dim() == 4, op, ": grad_out must be 4-D [N,C,H,W], got ", grad_out.shape());
  return dispatch(
      op, grad_out, [&] { return detail::conv2d_backward_bias_cpu(grad_out); },
      [&] { return conv2d_backward_bias_cuda(grad_out); });
}

}  // namespace hs::ops
