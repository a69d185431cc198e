// gemm through cuBLAS, which is column-major. A row-major matrix M (leading dimension ld)
// is, read column-major, M^T with the same ld; so the row-major C = op(A) op(B) is computed
// as the column-major C^T = op(B)^T op(A)^T: operands swapped, m and n swapped, the
// transpose flags kept.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "cuda/check.h"
#include "cuda/cublas.h"
#include "cuda/gemm.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

int to_cublas_int(std::int64_t value, const char* name) {
  HS_CHECK(value >= 0 && value <= std::numeric_limits<int>::max(), "cuda gemm: ", name, " = ",
           value, " does not fit cuBLAS's 32-bit int");
  return static_cast<int>(value);
}

// cuBLAS rejects a leading dimension of 0 even when the matrix is empty.
int leading_dim(std::int64_t ld, const char* name) {
  return to_cublas_int(std::max<std::int64_t>(ld, 1), name);
}

}  // namespace

void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
          double alpha, const void* a, std::int64_t lda, std::int64_t stride_a, const void* b,
          std::int64_t ldb, std::int64_t stride_b, double beta, void* c, std::int64_t ldc,
          std::int64_t stride_c, std::int64_t batch) {
  HS_CHECK(is_floating(dtype), "cuda gemm: needs f32 or f64, got ", dtype_name(dtype));
  if (m == 0 || n == 0 || batch == 0) return;
  const cublasOperation_t op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int cm = to_cublas_int(m, "m");
  const int cn = to_cublas_int(n, "n");
  const int ck = to_cublas_int(k, "k");
  const int clda = leading_dim(lda, "lda");
  const int cldb = leading_dim(ldb, "ldb");
  const int cldc = leading_dim(ldc, "ldc");
  const int cbatch = to_cublas_int(batch, "batch");
  cublasHandle_t handle = cublas_handle();
  if (dtype == DType::f32) {
    const float fa = static_cast<float>(alpha);
    const float fb = static_cast<float>(beta);
    HS_CUBLAS_CHECK(cublas().sgemm_strided_batched(
        handle, op_b, op_a, cn, cm, ck, &fa, static_cast<const float*>(b), cldb, stride_b,
        static_cast<const float*>(a), clda, stride_a, &fb, static_cast<float*>(c), cldc, stride_c,
        cbatch));
  } else {
    HS_CUBLAS_CHECK(cublas().dgemm_strided_batched(
        handle, op_b, op_a, cn, cm, ck, &alpha, static_cast<const double*>(b), cldb, stride_b,
        static_cast<const double*>(a), clda, stride_a, &beta, static_cast<double*>(c), cldc,
        stride_c, cbatch));
  }
}

}  // namespace hs::cuda
