#pragma once
// Argument checks shared by the operators and the device switch: CPU code runs inline,
// CUDA tensors go to cuda/<op>.h in builds with CUDA and raise an hs::Error otherwise.
#include "core/error.h"
#include "core/tensor.h"

#if HSNET_WITH_CUDA
#include "cuda/backend.h"
#include "cuda/batch_norm.h"
#include "cuda/conv2d.h"
#include "cuda/elementwise.h"
#include "cuda/gemm.h"
#include "cuda/loss.h"
#include "cuda/pooling.h"
#include "cuda/reduce.h"
#endif

namespace hs::ops::detail {

// Throws unless `t` holds data; `what` names the argument ("a", "grad", ...).
inline void check_defined(const char* op, const Tensor& t, const char* what) {
  HS_CHECK(t.defined(), op, ": ", what, " is an undefined tensor");
}

// Throws unless a and b share dtype and device; the message names op and both.
inline void check_same_dtype_device(const char* op, const Tensor& a, const Tensor& b) {
  HS_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ (", a.dtype(), " ", a.shape(), " and ",
           b.dtype(), " ", b.shape(), ")");
  HS_CHECK(a.device() == b.device(), op, ": devices differ (", a.device(), " ", a.shape(), " and ",
           b.device(), " ", b.shape(), ")");
}

inline void check_floating(const char* op, const Tensor& t) {
  HS_CHECK(is_floating(t.dtype()), op, ": needs f32 or f64, got ", t.dtype(), " ", t.shape());
}

// Reached when a CUDA tensor meets a build without the CUDA backend.
// Whether the H*W planes of a 4-D tensor are dense (each row contiguous, rows back to back),
// so a kernel that walks planes can read it in place: channel slices of a bigger tensor are.
inline bool has_dense_planes(const Tensor& t) {
  return (t.size(3) <= 1 || t.stride(3) == 1) && (t.size(2) <= 1 || t.stride(2) == t.size(3));
}

[[noreturn]] inline void fail_without_cuda(const char* op) {
  HS_FAIL(op, ": CUDA tensors need a build with CUDA");
}

}  // namespace hs::ops::detail

// HS_CUDA_CALL(op, call): runs `call` (a hs::cuda:: function) in CUDA builds; elsewhere the
// call is not compiled and an hs::Error names op.
#if HSNET_WITH_CUDA
#define HS_CUDA_CALL(op, ...) __VA_ARGS__
#else
#define HS_CUDA_CALL(op, ...) ::hs::ops::detail::fail_without_cuda(op)
#endif
