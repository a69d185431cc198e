#pragma once
// The one CUDA stream every hsnet kernel, copy and cuBLAS call runs on, and the cuBLAS
// handle bound to it. Work on one stream runs in issue order, which is what lets the
// caching allocator hand a freed block to the next request without waiting.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

namespace hs::cuda {

// Created on first use (a non-blocking stream on the current device) and kept for the
// life of the process.
cudaStream_t stream();

// Created on first use, bound to stream().
cublasHandle_t cublas_handle();

// Waits until all work issued on stream() has finished; reports any asynchronous error.
void synchronize();

}  // namespace hs::cuda
