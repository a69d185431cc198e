#include "ops/linear.h"

#include <algorithm>
#include <vector>

#include "cuda/gemm.h"
#include "ops/dispatch.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace hs::ops {
namespace {

// A 2-D tensor as BLAS reads it: row-major storage with leading dimension ld, holding the
// matrix itself or (transposed) its transpose. Views with a unit stride along either dim
// are used in place; anything else is copied once.
struct BlasMatrix {
  Tensor t;
  bool transposed = false;
  std::int64_t ld = 1;
};

BlasMatrix as_blas(const Tensor& m) {
  const std::int64_t rows = m.size(0), cols = m.size(1);
  if ((cols <= 1 || m.stride(1) == 1) && m.stride(0) >= std::max<std::int64_t>(1, cols))
    return {m, false, m.stride(0)};
  if ((rows <= 1 || m.stride(0) == 1) && m.stride(1) >= std::max<std::int64_t>(1, rows))
    return {m, true, m.stride(1)};
  return {m.contiguous(), false, std::max<std::int64_t>(1, cols)};
}

// out [m,n] (contiguous) = op_a(a) * op_b(b) + beta * out, where op_x transposes the
// logical matrix when transpose_x is set; a is [m,k] or [k,m] accordingly. With beta = 0,
// out's prior contents are ignored. Runs on out's device (BLAS or cuBLAS).
void gemm(const BlasMatrix& a, bool transpose_a, const BlasMatrix& b, bool transpose_b,
          std::int64_t m, std::int64_t n, std::int64_t k, double beta, Tensor& out) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0) out.zero_();
    return;
  }
  const bool trans_a = transpose_a != a.transposed, trans_b = transpose_b != b.transposed;
  const std::int64_t ldc = std::max<std::int64_t>(1, n);
  dispatch(
      "linear", out,
      [&] {
        dispatch_floating(out.dtype(), [&](auto tag) {
          using T = decltype(tag);
          gemm_cpu<T>(trans_a, trans_b, m, n, k, T(1), a.t.data<T>(), a.ld, b.t.data<T>(), b.ld,
                      static_cast<T>(beta), out.data<T>(), ldc);
        });
      },
      [&] {
        cuda::gemm(out.dtype(), trans_a, trans_b, m, n, k, 1.0, a.t.data_ptr(), a.ld, 0,
                   b.t.data_ptr(), b.ld, 0, beta, out.data_ptr(), ldc, 0, 1);
      });
}

void check_operands(const char* op, const Tensor& x, const Tensor& w) {
  detail::check_defined(op, x, "input");
  detail::check_defined(op, w, "weight");
  detail::check_floating(op, x);
  detail::check_same_dtype_device(op, x, w);
  HS_CHECK(x.dim() == 2, op, ": input must be 2-D [N,in], got ", x.shape());
  HS_CHECK(w.dim() == 2, op, ": weight must be 2-D [out,in], got ", w.shape());
  HS_CHECK(x.size(1) == w.size(1), op, ": input ", x.shape(), " has ", x.size(1),
           " features but weight ", w.shape(), " expects ", w.size(1));
}

}  // namespace

Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b) {
  const char* op = "linear";
  check_operands(op, x, w);
  const std::int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  if (b.defined()) {
    detail::check_same_dtype_device(op, x, b);
    HS_CHECK(b.dim() == 1 && b.size(0) == out, op, ": bias ", b.shape(), " does not match weight ",
             w.shape(), " (expected [", out, "])");
  }
  Tensor y = empty({batch, out}, {x.dtype(), x.device()});
  if (b.defined())
    y.copy_(b.unsqueeze(0).expand({batch, out}));
  else
    y.zero_();
  gemm(as_blas(x), false, as_blas(w), true, batch, out, in, 1.0, y);
  return y;
}

LinearGrads linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, bool need_dx,
                            bool need_dw, bool need_db) {
  const char* op = "linear_backward";
  check_operands(op, x, w);
  const std::int64_t batch = x.size(0), in = x.size(1), out = w.size(0);
  detail::check_defined(op, dy, "grad");
  detail::check_same_dtype_device(op, x, dy);
  HS_CHECK(dy.dim() == 2 && dy.size(0) == batch && dy.size(1) == out, op, ": grad has shape ",
           dy.shape(), ", expected [", batch, ",", out, "] for input ", x.shape(), " and weight ",
           w.shape());
  LinearGrads grads;
  const BlasMatrix g = as_blas(dy);
  if (need_dx) {
    grads.dx = empty({batch, in}, {x.dtype(), x.device()});
    gemm(g, false, as_blas(w), false, batch, in, out, 0.0, grads.dx);
  }
  if (need_dw) {
    grads.dw = empty({out, in}, {x.dtype(), x.device()});
    gemm(g, true, as_blas(x), false, out, in, batch, 0.0, grads.dw);
  }
  if (need_db) {
    dispatch(
        "linear_backward", dy,
        [&] {
          dispatch_floating(x.dtype(), [&](auto tag) {
            using T = decltype(tag);
            std::vector<double> sums(out, 0.0);
            const T* src = dy.data<T>();
            for (std::int64_t n = 0; n < batch; ++n)
              for (std::int64_t o = 0; o < out; ++o)
                sums[o] += src[n * dy.stride(0) + o * dy.stride(1)];
            grads.db = empty({out}, {x.dtype()});
            T* dst = grads.db.data<T>();
            for (std::int64_t o = 0; o < out; ++o) dst[o] = static_cast<T>(sums[o]);
          });
        },
        [&] { grads.db = sum(dy, {0}); });  // accumulates in double, like the CPU loop
  }
  return grads;
}

}  // namespace hs::ops
