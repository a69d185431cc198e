#pragma once
// ElementwiseLoop: the CPU walk over N operands that share one iteration shape (broadcast
// operands carry stride 0). It drops size-1 dims, orders dims by operand 0's strides
// (memory order of the output), merges dims that are contiguous in every operand
// (core/merged_dims.h), and then
// hands a kernel runs of the innermost dim: (element offsets, inner strides, run length).
// Contiguous same-shape operands collapse to a single run, so kernels see a flat loop.
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>

#include "core/merged_dims.h"
#include "core/shape.h"
#include "kernels/strided_index.h"

namespace hs::ops {

// The one parallel-work threshold of the CPU loops: loops over fewer elements run on one
// thread, since starting a team would cost more than it saves.
inline constexpr std::int64_t kParallelWork = 32768;

// True when a loop of `work` elements is worth splitting across OpenMP threads.
inline bool worth_parallel(std::int64_t work) {
  return work >= kParallelWork && omp_get_max_threads() > 1 && !omp_in_parallel();
}

template <int N>
class ElementwiseLoop {
 public:
  // sizes: the iteration shape; strides[k]: operand k's strides over it.
  ElementwiseLoop(const Shape& sizes, const std::array<Shape, N>& strides) : numel_(sizes.numel()) {
    int order[kMaxDims];
    int kept = 0;
    for (int d = 0; d < sizes.size(); ++d)
      if (sizes[d] != 1) order[kept++] = d;
    // Outermost first by operand 0's stride, so a strided destination is walked in
    // memory order; stable, so equal strides keep their logical order.
    std::stable_sort(order, order + kept,
                     [&](int x, int y) { return strides[0][x] > strides[0][y]; });
    MergedDims<N> merged;
    for (int i = 0; i < kept; ++i) {
      const int d = order[i];
      merged.push(sizes[d], [&](int k) { return strides[k][d]; });
    }
    const int nd = merged.ndim;
    if (nd == 0) return;  // one element: inner_size_ 1, all offsets 0
    inner_size_ = merged.sizes[nd - 1];
    for (int k = 0; k < N; ++k) inner_strides_[k] = merged.strides[k][nd - 1];
    outer_.ndim = nd - 1;
    for (int d = 0; d < nd - 1; ++d) {
      outer_.sizes[d] = merged.sizes[d];
      for (int k = 0; k < N; ++k) outer_.strides[k][d] = merged.strides[k][d];
    }
  }

  std::int64_t numel() const { return numel_; }

  // Calls body(offsets[N], strides[N], n) for the runs covering iteration indices
  // [begin, end): offsets in elements from each operand's first element, strides between
  // consecutive items of the run, n the run length.
  template <class Body>
  void for_range(std::int64_t begin, std::int64_t end, Body&& body) const {
    std::int64_t i = begin;
    while (i < end) {
      const std::int64_t row = i / inner_size_;
      const std::int64_t col = i % inner_size_;
      const std::int64_t n = std::min(inner_size_ - col, end - i);
      std::int64_t offsets[N];
      outer_.offsets(row, offsets);
      for (int k = 0; k < N; ++k) offsets[k] += col * inner_strides_[k];
      body(offsets, inner_strides_, n);
      i += n;
    }
  }

  // Calls body over every element, splitting the index range across OpenMP threads when
  // the loop is large. Bodies must only write their own elements.
  template <class Body>
  void run(Body&& body) const {
    if (numel_ == 0) return;
    if (!worth_parallel(numel_)) {
      for_range(0, numel_, body);
      return;
    }
#pragma omp parallel
    {
      const std::int64_t threads = omp_get_num_threads();
      const std::int64_t chunk = (numel_ + threads - 1) / threads;
      const std::int64_t begin = std::min(numel_, chunk * omp_get_thread_num());
      for_range(begin, std::min(numel_, begin + chunk), body);
    }
  }

 private:
  std::int64_t numel_;
  std::int64_t inner_size_ = 1;
  std::int64_t inner_strides_[N] = {};
  StridedIndexer<N> outer_;
};

}  // namespace hs::ops
