#include "ops/batch_norm_cuda.h"

#include "ops/dispatch.h"
#include "cuda/batch_norm.h"

namespace hs::ops::detail {
namespace {

// An [N,C] or [N,C,H,W] tensor as cuda/batch_norm.cu reads it: in place when each H·W plane
// is dense (channel slices among them), else a contiguous copy. `keep` holds the storage.
struct DeviceChannels {
  Tensor keep;
  cuda::ChannelTensorRef ref;
};

DeviceChannels device_channels(const Tensor& x) {
  DeviceChannels d;
  d.ref.inner = 1;
  if (x.dim() == 2) {
    d.keep = x;
  } else {
    d.keep = detail::has_dense_planes(x) ? x : x.contiguous();
    d.ref.inner = x.size(2) * x.size(3);
  }
  d.ref.data = d.keep.data_ptr();
  d.ref.batch = x.size(0);
  d.ref.channels = x.size(1);
  d.ref.stride_n = d.keep.stride(0);
  d.ref.stride_c = d.keep.stride(1);
  return d;
}

cuda::ChannelVector channel_vector(const Tensor& t) {
  cuda::ChannelVector v;
  if (t.defined()) {
    v.data = t.data_ptr();
    v.stride = t.stride(0);
  }
  return v;
}

}  // namespace

BatchNormForward batch_norm_forward_cuda(bool relu, const Tensor& x, const Tensor& gamma,
                                         const Tensor& beta, const Tensor& running_mean,
                                         const Tensor& running_var, bool training, double momentum,
                                         double eps) {
  const TensorOptions options{x.dtype(), x.device()};
  BatchNormForward out{empty(x.shape(), options), empty({x.size(1)}, options),
                       empty({x.size(1)}, options)};
  const DeviceChannels in = device_channels(x);
  cuda::batch_norm_forward(x.dtype(), in.ref, channel_vector(gamma), channel_vector(beta),
                           channel_vector(running_mean), channel_vector(running_var), training,
                           momentum, eps, relu, out.y.data_ptr(), out.save_mean.data_ptr(),
                           out.save_invstd.data_ptr());
  return out;
}

BatchNormGrads batch_norm_backward_cuda(const Tensor& dy, const Tensor& y, const Tensor& x,
                                        const Tensor& gamma, const Tensor& save_mean,
                                        const Tensor& save_invstd, bool training) {
  const TensorOptions options{x.dtype(), x.device()};
  BatchNormGrads out{empty(x.shape(), options), empty({x.size(1)}, options),
                     empty({x.size(1)}, options)};
  const DeviceChannels grad = device_channels(dy), in = device_channels(x);
  const DeviceChannels output = y.defined() ? device_channels(y) : DeviceChannels{};
  const Tensor mean = save_mean.contiguous(), invstd = save_invstd.contiguous();
  cuda::batch_norm_backward(x.dtype(), grad.ref, output.ref, in.ref, channel_vector(gamma),
                            mean.data_ptr(), invstd.data_ptr(), training, out.dx.data_ptr(),
                            out.dgamma.data_ptr(), out.dbeta.data_ptr());
  return out;
}

}  // namespace hs::ops::detail
