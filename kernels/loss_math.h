#pragma once
// The per-row arithmetic of cross-entropy and top-k accuracy, shared by the CPU loops and
// the CUDA kernels (one thread per row there), so the CPU tests exercise what the GPU runs.
#include <cmath>
#include <cstdint>

#include "core/host_device.h"

namespace hs::ops {

// Writes softmax(row) into prob (both `classes` long) and returns the row's loss
// −Σ_k target_k · log_softmax(row)_k for target = on_label·onehot(label) + everywhere
// (on_label = 1 − ε, everywhere = ε / K). The max is subtracted before exp, and the sums
// accumulate in double.
template <class T>
HS_HOST_DEVICE double softmax_cross_entropy_row(const T* row, T* prob, std::int64_t classes,
                                                std::int64_t label, double on_label,
                                                double everywhere) {
  T top = row[0];
  for (std::int64_t k = 1; k < classes; ++k)
    if (row[k] > top) top = row[k];
  double sum_exp = 0, sum_logits = 0;
  for (std::int64_t k = 0; k < classes; ++k) {
    prob[k] = std::exp(row[k] - top);
    sum_exp += prob[k];
    sum_logits += row[k];
  }
  const T inv_sum = static_cast<T>(1.0 / sum_exp);
  for (std::int64_t k = 0; k < classes; ++k) prob[k] *= inv_sum;
  const double log_sum_exp = top + std::log(sum_exp);
  return log_sum_exp - on_label * row[label] - everywhere * sum_logits;
}

// One element of dlogits = (softmax − target) · scale: (prob − everywhere)·scale, less
// label_share (= on_label·scale) in the label's column.
template <class T>
HS_HOST_DEVICE T cross_entropy_grad(T prob, bool is_label, T scale, T everywhere, T label_share) {
  const T g = (prob - everywhere) * scale;
  return is_label ? g - label_share : g;
}

// Position of row[label] when the row is sorted in descending order, ties by index (a
// lower index first); the label is among the top k exactly when this is below k.
template <class T>
HS_HOST_DEVICE std::int64_t rank_of_label(const T* row, std::int64_t classes, std::int64_t label) {
  const T target = row[label];
  std::int64_t rank = 0;
  bool has_nan = false;
  for (std::int64_t j = 0; j < classes; ++j) {
    has_nan |= row[j] != row[j];
    rank += row[j] > target || (j < label && row[j] == target);
  }
  // NaN compares false with everything, which would rank the label first: a row with NaN
  // must never count as a correct answer.
  return has_nan ? classes : rank;
}

}  // namespace hs::ops
