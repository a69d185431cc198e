#pragma once
// The CUDA side of the operators, called only from ops/ dispatch (never by users). All
// argument checking, broadcasting and output allocation happen in ops/; these functions
// receive operands already shaped for the iteration (broadcast operands carry stride 0)
// and launch kernels on the one hsnet stream. Available only in builds with CUDA
// (HSNET_WITH_CUDA).
#include <cstdint>

#include "core/backend.h"
#include "ops/kernels/elementwise_math.h"

namespace hs::cuda {

// Registers the CUDA DeviceBackend with the core (called once at load time).
void install_backend();

// out = op(a, b) elementwise; all three have out's sizes (a, b possibly with 0 strides).
void binary(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, const StridedRef& b);
// out = op(a, scalar) elementwise.
void binary_scalar(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, double scalar);
// out = op(x).
void unary(ops::UnaryOp op, const StridedRef& out, const StridedRef& x);
// grad_in = apply_unary_backward(op, grad_out, x, y); x or y may be unused (data null).
void unary_backward(ops::UnaryOp op, const StridedRef& grad_in, const StridedRef& grad_out,
                    const StridedRef& x, const StridedRef& y);
// out (contiguous, `outer * inner` elements) = sum over the reduced extent of `in`, where
// `in` is viewed as [outer, reduced, inner] after ops/ has permuted and made it
// contiguous. Accumulates in double for f32 too.
void sum_reduce(const StridedRef& out, const StridedRef& in, std::int64_t outer,
                std::int64_t reduced, std::int64_t inner);
// dst += alpha * src (same sizes; src may be broadcast with 0 strides).
void axpy(const StridedRef& dst, const StridedRef& src, double alpha);
// Column-major-free wrapper: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b] for row-major
// matrices, b in [0, batch); op transposes when trans_* is set. ld* and stride* in elements.
void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
          std::int64_t k, double alpha, const void* a, std::int64_t lda, std::int64_t stride_a,
          const void* b, std::int64_t ldb, std::int64_t stride_b, double beta, void* c,
          std::int64_t ldc, std::int64_t stride_c, std::int64_t batch);

}  // namespace hs::cuda
