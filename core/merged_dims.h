#pragma once
// The one rule for merging the dims of N operands that share one iteration shape (operands
// broadcast with stride 0), used by the CPU copies (core/backend.cpp), the CPU elementwise
// loops (ops/iteration.h) and the CUDA launchers (cuda/launch.h): size-1 dims are dropped,
// and a dim is merged into the one before it when every operand steps through the two as
// through one dim. Operands laid out contiguously so become one long dim, and the others
// pay for as few dims as their layout needs. Host code.
#include <cstdint>

#include "core/shape.h"

namespace hs {

template <int N>
struct MergedDims {
  int ndim = 0;  // 0 when no dim was pushed or every dim had size 1
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[N][kMaxDims] = {};

  // Appends the next dim (outer to inner) of extent `size`; stride_of(k) is operand k's
  // stride along it.
  template <class StrideOf>
  void push(std::int64_t size, StrideOf&& stride_of) {
    if (size == 1) return;
    bool merge = ndim > 0;
    for (int k = 0; k < N && merge; ++k) merge = strides[k][ndim - 1] == stride_of(k) * size;
    const int target = merge ? ndim - 1 : ndim++;
    sizes[target] = merge ? sizes[target] * size : size;
    for (int k = 0; k < N; ++k) strides[k][target] = stride_of(k);
  }
};

}  // namespace hs
