#pragma once
// Batched GEMM on cuBLAS for row-major matrices, used by matmul, linear and conv2d.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"

namespace hs::cuda {

// Column-major-free wrapper: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b] for row-major
// matrices, b in [0, batch); op transposes when trans_* is set. ld* and stride* in elements.
void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          double alpha, const void* a, std::int64_t lda, std::int64_t stride_a, const void* b,
          std::int64_t ldb, std::int64_t stride_b, double beta, void* c, std::int64_t ldc,
          std::int64_t stride_c, std::int64_t batch);

}  // namespace hs::cuda
