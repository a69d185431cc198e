#pragma once
// Linear index -> element offset for up to kMaxDims-d strided tensors, for N operands
// that share one iteration shape (operands broadcast with stride 0). Used by the CPU
// elementwise loops and the CUDA kernels alike.
#include <cstdint>

#include "core/host_device.h"
#include "core/shape.h"

namespace hs::ops {

template <int N>
struct StridedIndexer {
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[N][kMaxDims] = {};

  // Offsets (in elements) of the element with row-major linear index `i` in each operand.
  HS_HOST_DEVICE void offsets(std::int64_t i, std::int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const std::int64_t idx = i % sizes[d];
      i /= sizes[d];
      for (int k = 0; k < N; ++k) out[k] += idx * strides[k][d];
    }
  }
};

}  // namespace hs::ops
