#pragma once
// Matrix products through BLAS (cblas sgemm/dgemm on the CPU, cuBLAS on CUDA).
#include <cstdint>

#include "core/tensor.h"

namespace hs::ops {

// [m,k] x [k,n] -> [m,n], or batched [B,m,k] x [B,k,n] -> [B,m,n]. Transposed views
// (unit stride along either matrix dim) go to BLAS with a transpose flag, no copy.
Tensor matmul(const Tensor& a, const Tensor& b);

// Row-major C = alpha * op(A) * op(B) + beta * C on the CPU, for the other operators'
// kernels (conv, linear). T is float or double.
template <class T>
void gemm_cpu(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
              const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
              std::int64_t ldc);

}  // namespace hs::ops
