#pragma once
// Batch normalisation on raw tensors (no autograd), PyTorch's semantics: per-channel
// statistics over N (and H, W) of an [N,C] or [N,C,H,W] input, an optional affine
// transform, running statistics updated in training. Also the fused BN + ReLU that
// ResNet-style blocks use. f32 and f64 on the CPU; statistics accumulate in double.
#include "core/tensor.h"

namespace hs::ops {

// The output and what backward needs: per-channel mean and 1/sqrt(var + eps) that
// normalised x (the batch's in training, the running ones in eval), [C], x's dtype.
struct BatchNormForward {
  Tensor y;
  Tensor save_mean;
  Tensor save_invstd;
};

// y = (x - mean) * invstd * gamma + beta per channel. gamma / beta may be undefined (no
// scale / no shift); otherwise [C]. Training uses the batch mean and biased variance and,
// when running_mean / running_var ([C]) are defined, updates them in place:
// r = (1 - momentum) * r + momentum * s, with the unbiased variance for running_var.
// Eval uses the running statistics, which must then be defined. Training needs more than
// one value per channel. Every tensor shares x's dtype and device; x may be any layout.
BatchNormForward batch_norm_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                    const Tensor& running_mean, const Tensor& running_var,
                                    bool training, double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm_forward(...).y) in one pass, with no intermediate tensor.
BatchNormForward batch_norm_relu_forward(const Tensor& x, const Tensor& gamma, const Tensor& beta,
                                         const Tensor& running_mean, const Tensor& running_var,
                                         bool training, double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm_forward(x, ...).y + residual) in one pass (the end of a residual block);
// residual has x's shape, dtype and device, any layout. Its backward: g = dy masked by
// y > 0 is the residual's gradient, and batch_norm_backward(g, ...) gives the rest.
BatchNormForward batch_norm_add_relu_forward(const Tensor& x, const Tensor& residual,
                                             const Tensor& gamma, const Tensor& beta,
                                             const Tensor& running_mean, const Tensor& running_var,
                                             bool training, double momentum = 0.1,
                                             double eps = 1e-5);

// Gradients of batch norm; dgamma and dbeta ([C], x's dtype) are computed whether or not
// gamma / beta exist, since they fall out of the sums dx needs.
struct BatchNormGrads {
  Tensor dx;
  Tensor dgamma;
  Tensor dbeta;
};

// dy has x's shape; save_mean / save_invstd as the forward returned them, `training` as the
// forward ran. In training dx = gamma·invstd/n · (n·dy − Σdy − x̂·Σ(dy·x̂)), in eval
// dx = dy·gamma·invstd; dgamma = Σ dy·x̂, dbeta = Σ dy.
BatchNormGrads batch_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& gamma,
                                   const Tensor& save_mean, const Tensor& save_invstd,
                                   bool training);

// Backward of batch_norm_relu_forward: dy is masked by y > 0 (y: that forward's output) on
// the fly, then as batch_norm_backward. Reads dy and y without writing them.
BatchNormGrads batch_norm_relu_backward(const Tensor& dy, const Tensor& y, const Tensor& x,
                                        const Tensor& gamma, const Tensor& save_mean,
                                        const Tensor& save_invstd, bool training);

}  // namespace hs::ops
