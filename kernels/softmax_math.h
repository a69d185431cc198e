#pragma once
// The per-row arithmetic of softmax over one dimension and of its backward, shared by the
// CPU loop and the CUDA kernel (one thread per row there), so the CPU tests exercise what
// the GPU runs. A row is n elements `stride` apart; sums accumulate in double, the max is
// subtracted before exp, and a NaN anywhere in the row makes the whole row NaN.
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace hs::ops {

// y = exp(x - max x) / Σ exp(x - max x) along the row.
template <class T>
HS_HOST_DEVICE void softmax_row(const T* x, T* y, std::int64_t n, std::int64_t stride) {
  T top = x[0];
  bool nan = false;
  for (std::int64_t k = 0; k < n; ++k) {
    const T v = x[k * stride];
    nan = nan || v != v;
    if (v > top) top = v;
  }
  double sum = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    const T e = std::exp(x[k * stride] - top);
    y[k * stride] = e;
    sum += e;
  }
  const T scale = nan ? static_cast<T>(NAN) : static_cast<T>(1.0 / sum);
  for (std::int64_t k = 0; k < n; ++k) y[k * stride] *= scale;
}

// dx = y ⊙ (dy − Σ dy ⊙ y) along the row, the softmax's vector-Jacobian product.
template <class T>
HS_HOST_DEVICE void softmax_backward_row(const T* y, const T* dy, T* dx, std::int64_t n,
                                         std::int64_t stride) {
  double dot = 0;
  for (std::int64_t k = 0; k < n; ++k) dot += static_cast<double>(dy[k * stride]) * y[k * stride];
  const T d = static_cast<T>(dot);
  for (std::int64_t k = 0; k < n; ++k) dx[k * stride] = y[k * stride] * (dy[k * stride] - d);
}

}  // namespace hs::ops
