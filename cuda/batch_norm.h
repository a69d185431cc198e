#pragma once
// The CUDA side of batch norm and its fused ReLU (ops/batch_norm.h). Pointers are device
// memory holding f32 or f64 (`dtype`); outputs are contiguous and fully written by the call.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"

namespace hs::cuda {

// A per-channel vector [C] with any stride, or none (data null).
struct ChannelVector {
  void* data = nullptr;
  std::int64_t stride = 1;
};

// An [N, C, inner] tensor for batch norm: element (n, c, i) at
// data + n * stride_n + c * stride_c + i.
struct ChannelTensorRef {
  const void* data = nullptr;
  std::int64_t batch = 0, channels = 0, inner = 1;
  std::int64_t stride_n = 0, stride_c = 0;
};

// Batch norm forward as ops::batch_norm_forward defines it (relu: the fused variant):
// y [N, C, inner], save_mean and save_invstd [C]; in training the running statistics (when
// given) are updated in place. Statistics use a two-pass sum in double per channel.
void batch_norm_forward(DType dtype, const ChannelTensorRef& x, ChannelVector gamma,
                        ChannelVector beta, ChannelVector running_mean, ChannelVector running_var,
                        bool training, double momentum, double eps, bool relu, void* y,
                        void* save_mean, void* save_invstd);
// Batch norm backward as ops::batch_norm_backward defines it; with y.data set, dy is masked
// by y > 0 (the fused ReLU). dx [N, C, inner], dgamma and dbeta [C].
void batch_norm_backward(DType dtype, const ChannelTensorRef& dy, const ChannelTensorRef& y,
                         const ChannelTensorRef& x, ChannelVector gamma, const void* save_mean,
                         const void* save_invstd, bool training, void* dx, void* dgamma,
                         void* dbeta);

}  // namespace hs::cuda
