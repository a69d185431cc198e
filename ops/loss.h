#pragma once
// Classification losses and metrics on raw tensors (no autograd): cross-entropy over
// logits with a fused, numerically stable log-softmax, its backward, and top-k accuracy.
// f32 and f64 logits on the CPU and CUDA, i64 labels on the logits' device.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace hs::ops {

// The mean loss (0-d, the logits' dtype) and the row softmax [N,K] that backward needs.
struct CrossEntropyForward {
  Tensor loss;
  Tensor softmax;
};

// Mean over the batch of −Σ_k target_k · log_softmax(logits)_k with target =
// (1 − ε)·onehot(label) + ε/K (ε = label_smoothing). Requires logits [N,K] with N, K >= 1,
// labels i64 [N] within [0, K), and 0 <= ε < 1.
CrossEntropyForward cross_entropy_forward(const Tensor& logits, const Tensor& labels,
                                          double label_smoothing = 0.0);

// dlogits [N,K] = (softmax − target) / N · grad, where grad (one element) is the gradient
// of the loss; softmax as the forward returned it.
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& softmax, const Tensor& labels,
                              double label_smoothing = 0.0);

// For each k in ks, how many rows hold their label among the k largest logits. Ties are
// ranked by index (a lower index first), so every row has exactly k members. Requires
// logits [N,K] with N >= 1, labels i64 [N] within [0, K), and 1 <= k <= K.
std::vector<std::int64_t> topk_correct(const Tensor& logits, const Tensor& labels,
                                       const std::vector<std::int64_t>& ks);

// The fraction of rows whose label is among the top k logits; as topk_correct requires.
double accuracy(const Tensor& logits, const Tensor& labels, std::int64_t topk = 1);

}  // namespace hs::ops
