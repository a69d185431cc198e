// Elementwise kernels: binary ops (tensor or scalar right operand), unary math and its
// backward, and axpy. Each has a contiguous kernel (every operand at offset i) and a
// strided one for views and broadcast operands; the scalar math is the CPU's
// (kernels/elementwise_math.h).
#include <cstdint>

#include "cuda/check.h"
#include "cuda/elementwise.h"
#include "cuda/launch.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

template <class T>
__global__ void binary_contiguous_kernel(ops::BinaryOp op, T* out, const T* a, const T* b,
                                         std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    out[i] = ops::apply_binary(op, a[i], b[i]);
  }
}

template <class T>
__global__ void binary_strided_kernel(ops::BinaryOp op, T* out, const T* a, const T* b,
                                      ops::StridedIndexer<3> idx, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[3];
    idx.offsets(i, off);
    out[off[0]] = ops::apply_binary(op, a[off[1]], b[off[2]]);
  }
}

template <class T>
__global__ void binary_scalar_contiguous_kernel(ops::BinaryOp op, T* out, const T* a, T scalar,
                                                std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    out[i] = ops::apply_binary(op, a[i], scalar);
  }
}

template <class T>
__global__ void binary_scalar_strided_kernel(ops::BinaryOp op, T* out, const T* a, T scalar,
                                             ops::StridedIndexer<2> idx, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[2];
    idx.offsets(i, off);
    out[off[0]] = ops::apply_binary(op, a[off[1]], scalar);
  }
}

template <class T>
__global__ void unary_contiguous_kernel(ops::UnaryOp op, T* out, const T* x, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    out[i] = ops::apply_unary(op, x[i]);
  }
}

template <class T>
__global__ void unary_strided_kernel(ops::UnaryOp op, T* out, const T* x,
                                     ops::StridedIndexer<2> idx, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[2];
    idx.offsets(i, off);
    out[off[0]] = ops::apply_unary(op, x[off[1]]);
  }
}

// x or y may be null when the op does not need it; it is then read as 0.
template <class T>
__global__ void unary_backward_contiguous_kernel(ops::UnaryOp op, T* grad_in, const T* grad_out,
                                                 const T* x, const T* y, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    const T xv = x ? x[i] : T(0);
    const T yv = y ? y[i] : T(0);
    grad_in[i] = ops::apply_unary_backward(op, grad_out[i], xv, yv);
  }
}

template <class T>
__global__ void unary_backward_strided_kernel(ops::UnaryOp op, T* grad_in, const T* grad_out,
                                              const T* x, const T* y, ops::StridedIndexer<4> idx,
                                              std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[4];
    idx.offsets(i, off);
    const T xv = x ? x[off[2]] : T(0);
    const T yv = y ? y[off[3]] : T(0);
    grad_in[off[0]] = ops::apply_unary_backward(op, grad_out[off[1]], xv, yv);
  }
}

template <class T>
__global__ void axpy_contiguous_kernel(T* dst, const T* src, T alpha, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) dst[i] += alpha * src[i];
}

template <class T>
__global__ void axpy_strided_kernel(T* dst, const T* src, T alpha, ops::StridedIndexer<2> idx,
                                    std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[2];
    idx.offsets(i, off);
    dst[off[0]] += alpha * src[off[1]];
  }
}

void check_dtypes(const char* op, const StridedRef& out, const StridedRef& operand) {
  HS_CHECK(operand.dtype == out.dtype, "cuda ", op, ": operand is ", dtype_name(operand.dtype),
           " but the output is ", dtype_name(out.dtype));
}

// An unused operand (no data) iterates like `like` and is never read.
StridedRef placeholder_for(const StridedRef& operand, const StridedRef& like) {
  if (operand.data) return operand;
  StridedRef unused = like;
  unused.data = nullptr;
  return unused;
}

}  // namespace

void binary(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, const StridedRef& b) {
  check_dtypes("binary", out, a);
  check_dtypes("binary", out, b);
  const std::int64_t n = numel(out);
  if (n == 0) return;
  const auto idx = coalesced_indexer<3>({out, a, b});
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* o = static_cast<T*>(out.data);
    const auto* pa = static_cast<const T*>(a.data);
    const auto* pb = static_cast<const T*>(b.data);
    if (all_contiguous(idx)) {
      binary_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, pa, pb, n);
    } else {
      binary_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, pa, pb, idx, n);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void binary_scalar(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, double scalar) {
  check_dtypes("binary_scalar", out, a);
  const std::int64_t n = numel(out);
  if (n == 0) return;
  const auto idx = coalesced_indexer<2>({out, a});
  dispatch_dtype(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* o = static_cast<T*>(out.data);
    const auto* pa = static_cast<const T*>(a.data);
    const T s = static_cast<T>(scalar);
    if (all_contiguous(idx)) {
      binary_scalar_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, pa, s, n);
    } else {
      binary_scalar_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, pa, s, idx, n);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void unary(ops::UnaryOp op, const StridedRef& out, const StridedRef& x) {
  check_dtypes("unary", out, x);
  const std::int64_t n = numel(out);
  if (n == 0) return;
  const auto idx = coalesced_indexer<2>({out, x});
  dispatch_floating(out.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* o = static_cast<T*>(out.data);
    const auto* px = static_cast<const T*>(x.data);
    if (all_contiguous(idx)) {
      unary_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, px, n);
    } else {
      unary_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, o, px, idx, n);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void unary_backward(ops::UnaryOp op, const StridedRef& grad_in, const StridedRef& grad_out,
                    const StridedRef& x, const StridedRef& y) {
  check_dtypes("unary_backward", grad_in, grad_out);
  if (x.data) check_dtypes("unary_backward", grad_in, x);
  if (y.data) check_dtypes("unary_backward", grad_in, y);
  const std::int64_t n = numel(grad_in);
  if (n == 0) return;
  const auto idx = coalesced_indexer<4>(
      {grad_in, grad_out, placeholder_for(x, grad_in), placeholder_for(y, grad_in)});
  dispatch_floating(grad_in.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* gi = static_cast<T*>(grad_in.data);
    const auto* go = static_cast<const T*>(grad_out.data);
    const auto* px = static_cast<const T*>(x.data);
    const auto* py = static_cast<const T*>(y.data);
    if (all_contiguous(idx)) {
      unary_backward_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, gi, go, px,
                                                                                  py, n);
    } else {
      unary_backward_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(op, gi, go, px, py,
                                                                               idx, n);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void axpy(const StridedRef& dst, const StridedRef& src, double alpha) {
  check_dtypes("axpy", dst, src);
  const std::int64_t n = numel(dst);
  if (n == 0) return;
  const auto idx = coalesced_indexer<2>({dst, src});
  dispatch_dtype(dst.dtype, [&](auto tag) {
    using T = decltype(tag);
    auto* d = static_cast<T*>(dst.data);
    const auto* s = static_cast<const T*>(src.data);
    const T a = static_cast<T>(alpha);
    if (all_contiguous(idx)) {
      axpy_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, s, a, n);
    } else {
      axpy_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, s, a, idx, n);
    }
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
