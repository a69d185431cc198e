#pragma once
// Elementwise operators on raw tensors (no autograd): binary ops with NumPy broadcasting,
// scalar variants, unary math and its backward. Any layout in, contiguous out; f32 and f64
// (add/sub/mul also i64); CPU or CUDA by the inputs' device.
#include "core/tensor.h"
#include "kernels/elementwise_math.h"

namespace hs::ops {

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary(BinaryOp op, const Tensor& a, double scalar);
inline Tensor add(const Tensor& a, const Tensor& b) { return binary(BinaryOp::add, a, b); }
inline Tensor sub(const Tensor& a, const Tensor& b) { return binary(BinaryOp::sub, a, b); }
inline Tensor mul(const Tensor& a, const Tensor& b) { return binary(BinaryOp::mul, a, b); }
inline Tensor div(const Tensor& a, const Tensor& b) { return binary(BinaryOp::div, a, b); }
inline Tensor add(const Tensor& a, double s) { return binary(BinaryOp::add, a, s); }
inline Tensor mul(const Tensor& a, double s) { return binary(BinaryOp::mul, a, s); }

Tensor unary(UnaryOp op, const Tensor& x);
inline Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x); }
inline Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x); }
inline Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x); }
inline Tensor log(const Tensor& x) { return unary(UnaryOp::log, x); }
inline Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x); }
inline Tensor tanh(const Tensor& x) { return unary(UnaryOp::tanh, x); }

// Gradient of unary op at input x with output y; pass whichever the op needs (see
// apply_unary_backward), the other may be undefined.
Tensor unary_backward(UnaryOp op, const Tensor& grad, const Tensor& x, const Tensor& y);

// dst += alpha * src in place; src must broadcast to dst's shape. Same device and dtype.
void add_(Tensor& dst, const Tensor& src, double alpha = 1.0);

}  // namespace hs::ops
