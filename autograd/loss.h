#pragma once
// Differentiable cross-entropy on Variables (ops/loss.h).
#include "autograd/variable.h"
#include "core/tensor.h"

namespace hs {

// Mean cross-entropy of logits [N,K] against i64 labels [N] (plain tensor: no gradient),
// with optional label smoothing (ops::cross_entropy_forward). A 0-d result.
Variable cross_entropy(const Variable& logits, const Tensor& labels, double label_smoothing = 0.0);

}  // namespace hs
