#include "ops/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "core/threads.h"
#include "cuda/gemm.h"
#include "ops/dispatch.h"

namespace hs::ops {

template <class T>
void gemm_cpu(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
              const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
              std::int64_t ldc) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  const auto i = [](std::int64_t v) { return static_cast<blasint>(v); };
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
  }
}

template void gemm_cpu<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                              const float*, std::int64_t, const float*, std::int64_t, float, float*,
                              std::int64_t);
template void gemm_cpu<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                               const double*, std::int64_t, const double*, std::int64_t, double,
                               double*, std::int64_t);

namespace {

// Batched products of matrices at most this many multiply-adds each run one GEMM per
// OpenMP thread; larger ones are left to BLAS's own threads.
constexpr std::int64_t kSmallGemm = 128 * 128 * 128;

// How BLAS reads one row-major matrix: transposed or not, and its leading dimension.
struct MatrixLayout {
  bool trans = false;
  std::int64_t ld = 1;
};

// The layout that lets BLAS read a [rows, cols] matrix with these strides in place, if any:
// unit column stride (plain) or unit row stride (a transposed view). Size-1 dims impose
// nothing on their stride.
std::optional<MatrixLayout> blas_layout(std::int64_t rows, std::int64_t cols,
                                        std::int64_t row_stride, std::int64_t col_stride) {
  if ((cols == 1 || col_stride == 1) && (rows == 1 || row_stride >= cols))
    return MatrixLayout{false, rows == 1 ? cols : row_stride};
  if ((rows == 1 || row_stride == 1) && (cols == 1 || col_stride >= rows))
    return MatrixLayout{true, cols == 1 ? rows : col_stride};
  return std::nullopt;
}

// A [batch, rows, cols] operand ready for BLAS: a view of the input when its matrices are
// BLAS-readable, a contiguous copy otherwise.
struct GemmOperand {
  Tensor tensor;
  MatrixLayout layout;
  std::int64_t batch_stride;
};

GemmOperand prepare(const Tensor& x) {
  if (auto layout = blas_layout(x.size(1), x.size(2), x.stride(1), x.stride(2)))
    return {x, *layout, x.stride(0)};
  Tensor c = x.contiguous();
  return {c, {false, c.size(2)}, c.stride(0)};
}

template <class T>
void matmul_cpu(const GemmOperand& a, const GemmOperand& b, const Tensor& out, std::int64_t batch,
                std::int64_t m, std::int64_t n, std::int64_t k) {
  const T* pa = a.tensor.data<T>();
  const T* pb = b.tensor.data<T>();
  T* pc = out.data<T>();
  // One B for every batch and A's batches stacked row after row: a single taller GEMM.
  if (batch > 1 && b.batch_stride == 0 && !a.layout.trans && a.batch_stride == m * a.layout.ld) {
    gemm_cpu<T>(false, b.layout.trans, batch * m, n, k, T(1), pa, a.layout.ld, pb, b.layout.ld,
                T(0), pc, n);
    return;
  }
  const auto one = [&](std::int64_t i) {
    gemm_cpu<T>(a.layout.trans, b.layout.trans, m, n, k, T(1), pa + i * a.batch_stride, a.layout.ld,
                pb + i * b.batch_stride, b.layout.ld, T(0), pc + i * m * n, n);
  };
  if (batch > 1 && m * n * k <= kSmallGemm && num_threads() > 1) {
    const SingleThreadedBlas single_threaded;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < batch; ++i) one(i);
    return;
  }
  for (std::int64_t i = 0; i < batch; ++i) one(i);
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_defined("matmul", a, "a");
  detail::check_defined("matmul", b, "b");
  detail::check_same_dtype_device("matmul", a, b);
  detail::check_floating("matmul", a);
  HS_CHECK(a.dim() == b.dim() && (a.dim() == 2 || a.dim() == 3),
           "matmul: expected two 2-D or two 3-D operands, got ", a.shape(), " and ", b.shape());
  const Tensor a3 = a.dim() == 2 ? a.unsqueeze(0) : a;
  const Tensor b3 = b.dim() == 2 ? b.unsqueeze(0) : b;
  HS_CHECK(a3.size(2) == b3.size(1), "matmul: inner dims differ: ", a.shape(), " x ", b.shape());
  HS_CHECK(a3.size(0) == b3.size(0), "matmul: batch sizes differ: ", a.shape(), " x ", b.shape());
  const std::int64_t batch = a3.size(0);
  const std::int64_t m = a3.size(1);
  const std::int64_t k = a3.size(2);
  const std::int64_t n = b3.size(2);
  Shape out_shape = a.dim() == 2 ? Shape{m, n} : Shape{batch, m, n};
  Tensor out = empty(out_shape, {a.dtype(), a.device()});
  if (out.numel() == 0) return out;
  if (k == 0) return out.zero_();
  const GemmOperand pa = prepare(a3);
  const GemmOperand pb = prepare(b3);
  dispatch(
      "matmul", out,
      [&] {
        dispatch_floating(a.dtype(),
                          [&](auto t) { matmul_cpu<decltype(t)>(pa, pb, out, batch, m, n, k); });
      },
      [&] {
        cuda::gemm(a.dtype(), pa.layout.trans, pb.layout.trans, m, n, k, 1.0, pa.tensor.data_ptr(),
                   pa.layout.ld, pa.batch_stride, pb.tensor.data_ptr(), pb.layout.ld,
                   pb.batch_stride, 0.0, out.data_ptr(), n, m * n, batch);
      });
  return out;
}

}  // namespace hs::ops
