#pragma once
// HS_HOST_DEVICE marks index and math helpers compiled for both the CPU loops and the CUDA
// kernels, so that the CPU tests exercise the arithmetic the GPU runs.
#if defined(__CUDACC__)
#define HS_HOST_DEVICE __host__ __device__ inline
#else
#define HS_HOST_DEVICE inline
#endif
