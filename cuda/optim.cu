// Optimizer updates on the GPU: one grid-stride loop per rule, each element updated by the
// function the CPU loop calls (kernels/optim_math.h).
#include <cstdint>

#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/optim.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

using std::int64_t;

template <class T>
__global__ void sgd_kernel(T* param, const T* grad, T lr, T weight_decay, int64_t n) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    ops::sgd_update(param[i], grad[i], lr, weight_decay);
}

template <class T>
__global__ void sgd_momentum_kernel(T* param, T* buffer, const T* grad, ops::SgdCoefficients<T> c,
                                    int64_t n) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    ops::sgd_momentum_update(param[i], buffer[i], grad[i], c);
}

template <class T>
__global__ void adamw_kernel(T* param, T* exp_avg, T* exp_avg_sq, const T* grad,
                             ops::AdamWCoefficients<T> c, int64_t n) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    ops::adamw_update(param[i], exp_avg[i], exp_avg_sq[i], grad[i], c);
}

void check_floating(const char* op, DType dtype) {
  HS_CHECK(is_floating(dtype), "cuda ", op, ": needs f32 or f64, got ", dtype_name(dtype));
}

}  // namespace

void sgd_update(DType dtype, std::int64_t n, void* param, const void* grad, double lr,
                double weight_decay) {
  check_floating("sgd_update", dtype);
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    sgd_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T>(lr),
        static_cast<T>(weight_decay), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void sgd_momentum_update(DType dtype, std::int64_t n, void* param, void* buffer, const void* grad,
                         const ops::SgdCoefficients<double>& c) {
  check_floating("sgd_momentum_update", dtype);
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    sgd_momentum_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        static_cast<T*>(param), static_cast<T*>(buffer), static_cast<const T*>(grad),
        ops::cast_coefficients<T>(c), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

void adamw_update(DType dtype, std::int64_t n, void* param, void* exp_avg, void* exp_avg_sq,
                  const void* grad, const ops::AdamWCoefficients<double>& c) {
  check_floating("adamw_update", dtype);
  if (n == 0) return;
  dispatch_floating(dtype, [&](auto tag) {
    using T = decltype(tag);
    adamw_kernel<T><<<grid_size(n), kBlockSize, 0, stream()>>>(
        static_cast<T*>(param), static_cast<T*>(exp_avg), static_cast<T*>(exp_avg_sq),
        static_cast<const T*>(grad), ops::cast_coefficients<T>(c), n);
  });
  HS_CUDA_CHECK(cudaGetLastError());
}

}  // namespace hs::cuda
