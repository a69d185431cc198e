#include "ops/loss.h"

#include <algorithm>
#include <cmath>

#include "ops/dispatch.h"

namespace hs::ops {
namespace {

constexpr std::int64_t kParallelWork = 32768;

// Labels read in place whatever their stride.
struct LabelRef {
  const std::int64_t* data;
  std::int64_t stride;
  explicit LabelRef(const Tensor& labels)
      : data(labels.data<std::int64_t>()), stride(labels.stride(0)) {}
  std::int64_t operator[](std::int64_t i) const { return data[i * stride]; }
};

// Checks a [N,K] score matrix (`what`: "logits" or "softmax") against its labels: shapes,
// dtypes, device, and every label within [0, K).
void check_scores_and_labels(const char* op, const Tensor& scores, const char* what,
                             const Tensor& labels) {
  detail::check_defined(op, scores, what);
  detail::check_defined(op, labels, "labels");
  detail::check_floating(op, scores);
  HS_CHECK(scores.dim() == 2, op, ": ", what, " must be 2-D [N,K], got ", scores.shape());
  HS_CHECK(scores.size(0) > 0, op, ": empty batch (", what, " ", scores.shape(), ")");
  HS_CHECK(scores.size(1) > 0, op, ": ", what, " ", scores.shape(), " have no classes");
  HS_CHECK(labels.dtype() == DType::i64, op, ": labels must be i64, got ", labels.dtype(), " ",
           labels.shape());
  HS_CHECK(labels.dim() == 1 && labels.size(0) == scores.size(0), op, ": labels ", labels.shape(),
           " do not match ", what, " ", scores.shape(), " (expected [", scores.size(0), "])");
  HS_CHECK(scores.is_cpu() && labels.is_cpu(), op, ": CUDA kernels are not yet implemented (", what,
           " on ", scores.device(), ", labels on ", labels.device(), ")");
  const std::int64_t classes = scores.size(1);
  const LabelRef label(labels);
  for (std::int64_t i = 0; i < labels.size(0); ++i) {
    const std::int64_t v = label[i];
    HS_CHECK(v >= 0 && v < classes, op, ": label ", v, " at index ", i, " is out of range [0, ",
             classes, ")");
  }
}

void check_smoothing(const char* op, double label_smoothing) {
  HS_CHECK(label_smoothing >= 0.0 && label_smoothing < 1.0, op,
           ": label_smoothing must lie in [0, 1), got ", label_smoothing);
}

// Position of row[label] when the row is sorted in descending order, ties by index.
template <class T>
std::int64_t rank_of_label(const T* row, std::int64_t classes, std::int64_t label) {
  const T target = row[label];
  std::int64_t rank = 0;
  for (std::int64_t j = 0; j < classes; ++j)
    rank += row[j] > target || (j < label && row[j] == target);
  return rank;
}

std::vector<std::int64_t> topk_correct_impl(const char* op, const Tensor& logits,
                                            const Tensor& labels,
                                            const std::vector<std::int64_t>& ks) {
  check_scores_and_labels(op, logits, "logits", labels);
  const std::int64_t rows = logits.size(0), classes = logits.size(1);
  for (std::int64_t k : ks)
    HS_CHECK(k >= 1 && k <= classes, op, ": k = ", k, " is outside [1, ", classes, "] for logits ",
             logits.shape());
  const Tensor z = logits.contiguous();
  const LabelRef label(labels);
  std::vector<std::int64_t> ranks(rows);
  dispatch_floating(z.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = z.data<T>();
#pragma omp parallel for if (z.numel() > kParallelWork)
    for (std::int64_t n = 0; n < rows; ++n)
      ranks[n] = rank_of_label(src + n * classes, classes, label[n]);
  });
  std::vector<std::int64_t> correct;
  for (std::int64_t k : ks)
    correct.push_back(
        std::count_if(ranks.begin(), ranks.end(), [k](std::int64_t r) { return r < k; }));
  return correct;
}

}  // namespace

CrossEntropyForward cross_entropy_forward(const Tensor& logits, const Tensor& labels,
                                          double label_smoothing) {
  const char* op = "cross_entropy";
  check_scores_and_labels(op, logits, "logits", labels);
  check_smoothing(op, label_smoothing);
  const std::int64_t rows = logits.size(0), classes = logits.size(1);
  const Tensor z = logits.contiguous();
  CrossEntropyForward out;
  out.softmax = empty(z.shape(), {z.dtype()});
  const LabelRef label(labels);
  std::vector<double> row_loss(rows);
  const double on_label = 1.0 - label_smoothing, everywhere = label_smoothing / classes;
  dispatch_floating(z.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = z.data<T>();
    T* prob = out.softmax.data<T>();
#pragma omp parallel for if (z.numel() > kParallelWork)
    for (std::int64_t n = 0; n < rows; ++n) {
      const T* row = src + n * classes;
      T* p = prob + n * classes;
      const T top = *std::max_element(row, row + classes);
      double sum_exp = 0, sum_logits = 0;
      for (std::int64_t k = 0; k < classes; ++k) {
        p[k] = std::exp(row[k] - top);
        sum_exp += p[k];
        sum_logits += row[k];
      }
      const T inv_sum = static_cast<T>(1.0 / sum_exp);
      for (std::int64_t k = 0; k < classes; ++k) p[k] *= inv_sum;
      const double log_sum_exp = top + std::log(sum_exp);
      row_loss[n] = log_sum_exp - on_label * row[label[n]] - everywhere * sum_logits;
    }
  });
  double total = 0;
  for (double l : row_loss) total += l;
  out.loss = scalar_tensor(total / rows, {z.dtype()});
  return out;
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& softmax, const Tensor& labels,
                              double label_smoothing) {
  const char* op = "cross_entropy_backward";
  check_scores_and_labels(op, softmax, "softmax", labels);
  check_smoothing(op, label_smoothing);
  detail::check_defined(op, grad, "grad");
  HS_CHECK(grad.numel() == 1, op, ": grad must hold one element, got ", grad.shape());
  const std::int64_t rows = softmax.size(0), classes = softmax.size(1);
  const Tensor p = softmax.contiguous();
  const double scale = grad.item() / rows;
  const double on_label = 1.0 - label_smoothing, everywhere = label_smoothing / classes;
  const LabelRef label(labels);
  Tensor dlogits = empty(p.shape(), {p.dtype()});
  dispatch_floating(p.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* src = p.data<T>();
    T* dst = dlogits.data<T>();
    const T s = static_cast<T>(scale), off = static_cast<T>(everywhere);
#pragma omp parallel for if (p.numel() > kParallelWork)
    for (std::int64_t n = 0; n < rows; ++n) {
      for (std::int64_t k = 0; k < classes; ++k)
        dst[n * classes + k] = (src[n * classes + k] - off) * s;
      dst[n * classes + label[n]] -= static_cast<T>(on_label * scale);
    }
  });
  return dlogits;
}

std::vector<std::int64_t> topk_correct(const Tensor& logits, const Tensor& labels,
                                       const std::vector<std::int64_t>& ks) {
  return topk_correct_impl("topk_correct", logits, labels, ks);
}

double accuracy(const Tensor& logits, const Tensor& labels, std::int64_t topk) {
  const std::vector<std::int64_t> correct = topk_correct_impl("accuracy", logits, labels, {topk});
  return static_cast<double>(correct[0]) / static_cast<double>(logits.size(0));
}

}  // namespace hs::ops
