#pragma once
// HS_CUDA_CHECK(call) and HS_CUBLAS_CHECK(call): a failed CUDA runtime or cuBLAS call
// becomes an hs::Error naming the call's text, the error code and its name and description,
// so a GPU failure surfaces like any other hsnet error instead of passing silently.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "core/error.h"
#include "cuda/cublas.h"

namespace hs::cuda::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t err, const char* call, const char* file,
                                          int line) {
  HS_FAIL("CUDA error ", static_cast<int>(err), " (", cudaGetErrorName(err), ": ",
          cudaGetErrorString(err), ") in ", call, " at ", file, ":", line);
}

[[noreturn]] inline void throw_cublas_error(cublasStatus_t status, const char* call,
                                            const char* file, int line) {
  HS_FAIL("cuBLAS error ", static_cast<int>(status), " (", cublas().status_name(status), ": ",
          cublas().status_string(status), ") in ", call, " at ", file, ":", line);
}

}  // namespace hs::cuda::detail

#define HS_CUDA_CHECK(call)                                                          \
  do {                                                                               \
    const cudaError_t hs_cuda_err_ = (call);                                         \
    if (hs_cuda_err_ != cudaSuccess) [[unlikely]]                                    \
      ::hs::cuda::detail::throw_cuda_error(hs_cuda_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define HS_CUBLAS_CHECK(call)                                                               \
  do {                                                                                      \
    const cublasStatus_t hs_cublas_status_ = (call);                                        \
    if (hs_cublas_status_ != CUBLAS_STATUS_SUCCESS) [[unlikely]]                            \
      ::hs::cuda::detail::throw_cublas_error(hs_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)
