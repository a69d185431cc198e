#pragma once
// Linear index -> element offset for up to kMaxDims-d strided tensors, for N operands
// that share one iteration shape (operands broadcast with stride 0). Used by the CPU
// elementwise loops and the CUDA kernels alike.
#include <cstdint>

#include "core/host_device.h"
#include "core/merged_dims.h"
#include "core/shape.h"

namespace hs::ops {

// The dims (merged or not) are MergedDims' fields; callers usually build them with push().
template <int N>
struct StridedIndexer : MergedDims<N> {
  // Offsets (in elements) of the element with row-major linear index `i` in each operand.
  HS_HOST_DEVICE void offsets(std::int64_t i, std::int64_t (&out)[N]) const {
    for (int k = 0; k < N; ++k) out[k] = 0;
    for (int d = this->ndim - 1; d >= 0; --d) {
      const std::int64_t idx = i % this->sizes[d];
      i /= this->sizes[d];
      for (int k = 0; k < N; ++k) out[k] += idx * this->strides[k][d];
    }
  }
};

}  // namespace hs::ops
