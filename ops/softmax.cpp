#include "ops/softmax.h"

#include "cuda/softmax.h"
#include "kernels/softmax_math.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {
namespace {

// x viewed as [outer, n, inner] with the softmax over n.
struct SoftmaxRows {
  std::int64_t outer = 1, n = 1, inner = 1;
};

SoftmaxRows rows_of(const char* op, const Tensor& x, std::int64_t dim) {
  detail::check_defined(op, x, "input");
  detail::check_floating(op, x);
  const std::int64_t ndim = x.dim();
  HS_CHECK(ndim >= 1, op, ": needs a tensor with at least one dimension, got ", x.shape());
  HS_CHECK(dim >= -ndim && dim < ndim, op, ": dim ", dim, " is out of range for ", x.shape());
  if (dim < 0) dim += ndim;
  SoftmaxRows r;
  for (std::int64_t d = 0; d < ndim; ++d) {
    if (d < dim)
      r.outer *= x.size(d);
    else if (d > dim)
      r.inner *= x.size(d);
  }
  r.n = x.size(dim);
  return r;
}

// Runs row(start, stride) for every row of the [outer, n, inner] view, in parallel when it
// is worth it.
template <class Row>
void for_each_row(const SoftmaxRows& r, Row&& row) {
  const std::int64_t rows = r.outer * r.inner;
#pragma omp parallel for if (worth_parallel(rows * r.n))
  for (std::int64_t i = 0; i < rows; ++i) row((i / r.inner) * r.n * r.inner + i % r.inner);
}

}  // namespace

Tensor softmax_forward(const Tensor& x, std::int64_t dim) {
  const char* op = "softmax";
  const SoftmaxRows r = rows_of(op, x, dim);
  const Tensor in = x.contiguous();
  Tensor y = empty(x.shape(), {x.dtype(), x.device()});
  return dispatch(
      op, x,
      [&] {
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = in.data<T>();
          T* dst = y.data<T>();
          for_each_row(r, [&](std::int64_t s) { softmax_row(src + s, dst + s, r.n, r.inner); });
        });
        return y;
      },
      [&] {
        cuda::softmax_forward(x.dtype(), r.outer, r.n, r.inner, in.data_ptr(), y.data_ptr());
        return y;
      });
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy, std::int64_t dim) {
  const char* op = "softmax_backward";
  const SoftmaxRows r = rows_of(op, y, dim);
  detail::check_defined(op, dy, "grad");
  detail::check_same_dtype_device(op, y, dy);
  HS_CHECK(y.shape() == dy.shape(), op, ": grad ", dy.shape(), " does not match the output ",
           y.shape());
  const Tensor out = y.contiguous(), grad = dy.contiguous();
  Tensor dx = empty(y.shape(), {y.dtype(), y.device()});
  return dispatch(
      op, y,
      [&] {
        dispatch_floating(y.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T *py = out.data<T>(), *pdy = grad.data<T>();
          T* pdx = dx.data<T>();
          for_each_row(r, [&](std::int64_t s) {
            softmax_backward_row(py + s, pdy + s, pdx + s, r.n, r.inner);
          });
        });
        return dx;
      },
      [&] {
        cuda::softmax_backward(y.dtype(), r.outer, r.n, r.inner, out.data_ptr(), grad.data_ptr(),
                               dx.data_ptr());
        return dx;
      });
}

}  // namespace hs::ops
