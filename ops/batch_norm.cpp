// Batch norm and its fused ReLU: checks, the dispatch to the CPU path (ops/cpu/batch_norm.h)
// and the CUDA operand layout.
#include "ops/batch_norm.h"

#include "cuda/batch_norm.h"
#include "ops/cpu/batch_norm.h"
#include "ops/dispatch.h"
#include "ops/elementwise.h"

namespace hs::ops {
namespace {

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

// ---- The CUDA path: the operands laid out for cuda/batch_norm.cu, results allocated on the GPU.

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

// relu(batch_norm(x) + residual) when residual is defined (then relu is set).
BatchNormForward forward_impl(const char* op, bool relu, const Tensor& x, const Tensor& residual,
                              const Tensor& gamma, const Tensor& beta, const Tensor& running_mean,
                              const Tensor& running_var, bool training, double momentum,
                              double eps) {
  check_input(op, x);
  if (residual.defined()) check_same_shape(op, residual, "residual", x);
  check_channel_tensor(op, gamma, "gamma", x);
  check_channel_tensor(op, beta, "beta", x);
  check_channel_tensor(op, running_mean, "running_mean", x);
  check_channel_tensor(op, running_var, "running_var", x);
  HS_CHECK(running_mean.defined() == running_var.defined(), op,
           ": running_mean and running_var must both be given or both be undefined");
  if (training) {
    HS_CHECK(x.numel() / x.size(1) > 1, op,
             ": expected more than 1 value per channel when training, got input ", x.shape());
  } else {
    HS_CHECK(running_mean.defined(), op, ": eval mode needs running_mean and running_var (input ",
             x.shape(), ")");
  }
  return dispatch(
      op, x,
      [&] {
        return detail::batch_norm_forward_cpu(relu, x, residual, gamma, beta, running_mean,
                                              running_var, training, momentum, eps);
      },
      [&] {
        if (!residual.defined())
          return batch_norm_forward_cuda(relu, x, gamma, beta, running_mean, running_var, training,
                                         momentum, eps);
        // No fused kernel on the GPU: the same result in three passes.
        BatchNormForward out = batch_norm_forward_cuda(false, x, gamma, beta, running_mean,
                                                       running_var, training, momentum, eps);
        out.y = unary(UnaryOp::relu, binary(BinaryOp::add, out.y, residual));
        return out;
      });
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
  return dispatch(
      op, x,
      [&] {
        return detail::batch_norm_backward_cpu(dy, y, x, gamma, save_mean, save_invstd, training);
      },
      [&] { return batch_norm_backward_cuda(dy, y, x, gamma, save_mean, save_invstd, training); });
}

}  // namespace

BatchNormForward batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    bool training, double momentum, double eps) {
  return forward_impl("batch_norm", false, x, Tensor(), gamma, beta, running_mean, running_var,
                      training, momentum, eps);
}

BatchNormForward batch_norm_relu_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                         const Tensor& running_mean, const Tensor& running_var,
                                         bool training, double momentum, double eps) {
  return forward_impl("batch_norm_relu", true, x, Tensor(), gamma, beta, running_mean, running_var,
                      training, momentum, eps);
}

BatchNormForward batch_norm_add_relu_forward(const Tensor& x, const Tensor& residual,
                                             const Tensor& gamma, const Tensor& beta,
                                             const Tensor& running_mean, const Tensor& running_var,
                                             bool training, double momentum, double eps) {
  detail::check_defined("batch_norm_add_relu", residual, "residual");
  return forward_impl("batch_norm_add_relu", true, x, residual, gamma, beta, running_mean,
                      running_var, training, momentum, eps);
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
