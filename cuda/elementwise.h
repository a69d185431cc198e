#pragma once
// The CUDA side of the elementwise operators (ops/elementwise.h): operands already shaped
// for the iteration by ops/ (broadcast operands carry stride 0).
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/backend.h"
#include "kernels/elementwise_math.h"

namespace hs::cuda {

// out = op(a, b) elementwise; all three have out's sizes (a, b possibly with 0 strides).
void binary(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, const StridedRef& b);
// out = op(a, scalar) elementwise.
void binary_scalar(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, double scalar);
// out = op(x).
void unary(ops::UnaryOp op, const StridedRef& out, const StridedRef& x);
// grad_in = apply_unary_backward(op, grad_out, x, y); x or y may be unused (data null).
void unary_backward(ops::UnaryOp op, const StridedRef& grad_in, const StridedRef& grad_out,
                    const StridedRef& x, const StridedRef& y);
// dst += alpha * src (same sizes; src may be broadcast with 0 strides).
void axpy(const StridedRef& dst, const StridedRef& src, double alpha);

}  // namespace hs::cuda
