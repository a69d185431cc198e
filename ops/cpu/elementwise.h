#pragma once
// The CPU implementation of the elementwise operators (ops/elementwise.h), called by their
// dispatch once the arguments are checked: operands already shaped for the iteration
// (broadcast operands carry stride 0), the output allocated. Internal to ops/.
#include "core/tensor.h"
#include "kernels/elementwise_math.h"

namespace hs::ops::detail {

// out = op(a, b) elementwise; all three have out's sizes (a, b possibly with 0 strides).
void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
// out = op(a, scalar) elementwise, the scalar converted to a's dtype.
void binary_scalar_cpu(BinaryOp op, const Tensor& out, const Tensor& a, double scalar);
// out = op(x); floating dtypes only.
void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& x);
// out = apply_unary_backward(op, grad, x, y); x or y may be undefined when op does not need it.
void unary_backward_cpu(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                        const Tensor& y);
// dst += alpha * src (same sizes; src may be broadcast with 0 strides), alpha in dst's dtype.
void add_cpu(const Tensor& dst, const Tensor& src, double alpha);

}  // namespace hs::ops::detail
