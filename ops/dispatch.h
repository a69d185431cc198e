#pragma once
// Argument checks shared by the operators, and dispatch(): the one place that picks an
// operator's CPU or CUDA function and raises the "built without CUDA" error.
#include <utility>

#include "core/error.h"
#include "core/tensor.h"

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

// Whether the H*W planes of a 4-D tensor are dense (each row contiguous, rows back to back),
// so a kernel that walks planes can read it in place: channel slices of a bigger tensor are.
inline bool has_dense_planes(const Tensor& t) {
  return (t.size(3) <= 1 || t.stride(3) == 1) && (t.size(2) <= 1 || t.stride(2) == t.size(3));
}

// Reached when a CUDA tensor meets a build without the CUDA backend.
[[noreturn]] inline void fail_without_cuda(const char* op) {
  HS_FAIL(op, ": CUDA tensors need a build with CUDA");
}

}  // namespace hs::ops::detail

namespace hs::ops {

#if HSNET_WITH_CUDA
inline constexpr bool kBuiltWithCuda = true;
#else
inline constexpr bool kBuiltWithCuda = false;
#endif

// Runs cpu() when `on` lives on the CPU and cuda() when it lives on a GPU; both return the
// same type. In a build without CUDA, cuda() is never called (nor emitted, so the cuda::
// functions it names, declared in every build, need no definition) and a CUDA tensor raises
// an hs::Error naming `op`.
template <class CpuFn, class CudaFn>
decltype(auto) dispatch(const char* op, const Tensor& on, CpuFn&& cpu, CudaFn&& cuda) {
  if (on.is_cuda()) {
    if constexpr (kBuiltWithCuda)
      return std::forward<CudaFn>(cuda)();
    else
      detail::fail_without_cuda(op);
  }
  return std::forward<CpuFn>(cpu)();
}

}  // namespace hs::ops
