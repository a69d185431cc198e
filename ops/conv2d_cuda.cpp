#include "ops/conv2d_cuda.h"

#include "ops/dispatch.h"
#include "cuda/conv2d.h"
#include "kernels/im2col_index.h"
#include "ops/reduce.h"

namespace hs::ops::detail {
namespace {

using std::int64_t;

cuda::ConvShape conv_shape(const Shape& x, const Shape& w, const Conv2dParams& p) {
  const int64_t out_h = conv_output_size(x[2], w[2], p.stride_h, p.pad_h, p.dil_h);
  const int64_t out_w = conv_output_size(x[3], w[3], p.stride_w, p.pad_w, p.dil_w);
  cuda::ConvShape s;
  s.batch = x[0];
  s.out_channels = w[0];
  s.groups = p.groups;
  s.image = {x[1],       x[2],       x[3],    w[2],    w[3],    out_h,  out_w,
             p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w};
  return s;
}

Shape output_shape(const cuda::ConvShape& s) {
  return {s.batch, s.out_channels, s.image.out_h, s.image.out_w};
}

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

}  // namespace

Tensor conv2d_forward_cuda(const Tensor& x, const Tensor& w, const Tensor& bias,
                           const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x.shape(), w.shape(), params);
  Tensor y = empty(output_shape(s), {x.dtype(), x.device()});
  const DevicePlanes xp = device_planes(x);
  const Tensor wc = w.contiguous();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  cuda::conv2d_forward(x.dtype(), s, xp.ref, wc.data_ptr(), bc.defined() ? bc.data_ptr() : nullptr,
                       y.data_ptr());
  return y;
}

Tensor conv2d_backward_input_cuda(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                                  const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x_shape, w.shape(), params);
  Tensor dx = empty(x_shape, {w.dtype(), w.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const Tensor wc = w.contiguous();
  cuda::conv2d_backward_input(w.dtype(), s, dy.ref, wc.data_ptr(), dx.data_ptr());
  return dx;
}

Tensor conv2d_backward_weight_cuda(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                                   const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x.shape(), w_shape, params);
  Tensor dw = empty(w_shape, {x.dtype(), x.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const DevicePlanes xp = device_planes(x);
  cuda::conv2d_backward_weight(x.dtype(), s, dy.ref, xp.ref, dw.data_ptr());
  return dw;
}

Tensor conv2d_backward_bias_cuda(const Tensor& grad_out) { return sum(grad_out, {0, 2, 3}); }

}  // namespace hs::ops::detail
