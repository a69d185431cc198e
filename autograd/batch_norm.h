#pragma once
// Differentiable batch norm on Variables: plain, fused with ReLU, or with a residual add and
// ReLU. Each forward calls ops:: and, when grad mode is on and an input requires grad,
// records a node whose backward calls ops:: too.
#include "autograd/variable.h"
#include "core/tensor.h"

namespace hs {

// Batch norm of x [N,C] or [N,C,H,W] as ops::batch_norm_forward defines it. gamma and beta
// may be undefined variables (no scale / no shift). The running statistics are plain
// tensors: updated in place by a training forward, never part of the graph.
Variable batch_norm(const Variable& x, const Variable& gamma, const Variable& beta,
                    const Tensor& running_mean, const Tensor& running_var, bool training,
                    double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm(...)) in one pass; its backward masks the gradient by the output's sign,
// with no intermediate tensor kept.
Variable batch_norm_relu(const Variable& x, const Variable& gamma, const Variable& beta,
                         const Tensor& running_mean, const Tensor& running_var, bool training,
                         double momentum = 0.1, double eps = 1e-5);

// relu(batch_norm(x, ...) + residual) in one pass: the end of a residual block. residual
// has x's shape; its gradient is the output's gradient masked by the output's sign.
Variable batch_norm_add_relu(const Variable& x, const Variable& residual, const Variable& gamma,
                             const Variable& beta, const Tensor& running_mean,
                             const Tensor& running_var, bool training, double momentum = 0.1,
                             double eps = 1e-5);

}  // namespace hs
