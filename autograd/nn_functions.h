#pragma once
// Differentiable neural-network operators on Variables: batch norm (plain, fused with
// ReLU, or with a residual add and ReLU), max / average / global average pooling, linear and
// cross-entropy. Each forward calls ops:: and, when grad mode is on and an input requires grad,
// records a node whose backward calls ops:: too. (flatten lives in autograd/functions.h.)
#include <cstdint>
#include <optional>

#include "autograd/variable.h"
#include "core/tensor.h"
#include "ops/pooling.h"

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

// Max pool of a 4-D x (ops::max_pool2d_forward); the gradient goes to each window's argmax.
Variable max_pool2d(const Variable& x, ops::Size2 kernel,
                    std::optional<ops::Size2> stride = std::nullopt, ops::Size2 padding = 0);

// Average pool of a 4-D x (ops::avg_pool2d_forward).
Variable avg_pool2d(const Variable& x, ops::Size2 kernel,
                    std::optional<ops::Size2> stride = std::nullopt, ops::Size2 padding = 0,
                    bool count_include_pad = true);

// Adaptive average pool to 1x1: [N,C,H,W] -> [N,C,1,1].
Variable global_avg_pool2d(const Variable& x);

// x [N,in]·wᵀ + b with w [out,in] and b [out] (b may be undefined: no bias).
Variable linear(const Variable& x, const Variable& w, const Variable& b = {});

// Mean cross-entropy of logits [N,K] against i64 labels [N] (plain tensor: no gradient),
// with optional label smoothing (ops::cross_entropy_forward). A 0-d result.
Variable cross_entropy(const Variable& logits, const Tensor& labels, double label_smoothing = 0.0);

}  // namespace hs
