#include "ops/loss.h"

#include <algorithm>

#include "cuda/loss.h"
#include "kernels/loss_math.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

namespace hs::ops {
namespace {

// Labels read in place whatever their stride.
struct LabelRef {
  const std::int64_t* data;
  std::int64_t stride;
  explicit LabelRef(const Tensor& labels)
      : data(labels.data<std::int64_t>()), stride(labels.stride(0)) {}
  std::int64_t operator[](std::int64_t i) const { return data[i * stride]; }
};

// Checks a [N,K] score matrix (`what`: "logits" or "softmax") against its labels: shapes,
// dtypes, devices, and every label within [0, K) (CUDA labels are copied to the host for it).
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
  HS_CHECK(scores.device() == labels.device(), op, ": ", what, " ", scores.shape(), " are on ",
           scores.device(), " but labels ", labels.shape(), " are on ", labels.device());
  const std::int64_t classes = scores.size(1);
  const Tensor host_labels = labels.is_cpu() ? labels : labels.to(Device::cpu());
  const LabelRef label(host_labels);
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

// The rank of each row's label among its logits (see rank_of_label), on the host.
std::vector<std::int64_t> label_ranks(const Tensor& z, const Tensor& labels) {
  const std::int64_t rows = z.size(0), classes = z.size(1);
  return dispatch(
      "topk_correct", z,
      [&] {
        const LabelRef label(labels);
        std::vector<std::int64_t> ranks(rows);
        dispatch_floating(z.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = z.data<T>();
#pragma omp parallel for if (z.numel() > kParallelWork)
          for (std::int64_t n = 0; n < rows; ++n)
            ranks[n] = rank_of_label(src + n * classes, classes, label[n]);
        });
        return ranks;
      },
      [&] {
        Tensor ranks = empty({rows}, {DType::i64, z.device()});
        cuda::label_ranks(z.dtype(), rows, classes, z.data_ptr(), labels.data<std::int64_t>(),
                          labels.stride(0), ranks.data<std::int64_t>());
        return ranks.to_vector<std::int64_t>();
      });
}

std::vector<std::int64_t> topk_correct_impl(const char* op, const Tensor& logits,
                                            const Tensor& labels,
                                            const std::vector<std::int64_t>& ks) {
  check_scores_and_labels(op, logits, "logits", labels);
  const std::int64_t classes = logits.size(1);
  for (std::int64_t k : ks)
    HS_CHECK(k >= 1 && k <= classes, op, ": k = ", k, " is outside [1, ", classes, "] for logits ",
             logits.shape());
  const std::vector<std::int64_t> ranks = label_ranks(logits.contiguous(), labels);
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
  out.softmax = empty(z.shape(), {z.dtype(), z.device()});
  const double on_label = 1.0 - label_smoothing, everywhere = label_smoothing / classes;
  return dispatch(
      op, z,
      [&] {
        const LabelRef label(labels);
        std::vector<double> row_loss(rows);
        dispatch_floating(z.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = z.data<T>();
          T* prob = out.softmax.data<T>();
#pragma omp parallel for if (z.numel() > kParallelWork)
          for (std::int64_t n = 0; n < rows; ++n)
            row_loss[n] = softmax_cross_entropy_row(src + n * classes, prob + n * classes, classes,
                                                    label[n], on_label, everywhere);
        });
        double total = 0;
        for (double l : row_loss) total += l;
        out.loss = scalar_tensor(total / rows, {z.dtype()});
        return out;
      },
      [&] {
        out.loss = empty(Shape{}, {z.dtype(), z.device()});
        cuda::cross_entropy_forward(z.dtype(), rows, classes, z.data_ptr(),
                                    labels.data<std::int64_t>(), labels.stride(0), on_label,
                                    everywhere, out.softmax.data_ptr(), out.loss.data_ptr());
        return out;
      });
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& softmax, const Tensor& labels,
                              double label_smoothing) {
  const char* op = "cross_entropy_backward";
  check_scores_and_labels(op, softmax, "softmax", labels);
  check_smoothing(op, label_smoothing);
  detail::check_defined(op, grad, "grad");
  HS_CHECK(grad.numel() == 1, op, ": grad must hold one element, got ", grad.shape());
  HS_CHECK(grad.device() == softmax.device(), op, ": grad is on ", grad.device(),
           " but softmax is on ", softmax.device());
  const std::int64_t rows = softmax.size(0), classes = softmax.size(1);
  const Tensor p = softmax.contiguous();
  const double on_label = 1.0 - label_smoothing, everywhere = label_smoothing / classes;
  Tensor dlogits = empty(p.shape(), {p.dtype(), p.device()});
  return dispatch(
      op, p,
      [&] {
        const double scale = grad.item() / rows;
        const LabelRef label(labels);
        dispatch_floating(p.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const T* src = p.data<T>();
          T* dst = dlogits.data<T>();
          const T s = static_cast<T>(scale), off = static_cast<T>(everywhere);
          const T label_share = static_cast<T>(on_label * scale);
#pragma omp parallel for if (p.numel() > kParallelWork)
          for (std::int64_t n = 0; n < rows; ++n)
            for (std::int64_t k = 0; k < classes; ++k)
              dst[n * classes + k] =
                  cross_entropy_grad(src[n * classes + k], k == label[n], s, off, label_share);
        });
        return dlogits;
      },
      [&] {
        // The kernel reads the gradient in double, as item() does on the CPU, without a sync.
        const Tensor grad64 = grad.to(DType::f64).contiguous();
        cuda::cross_entropy_backward(p.dtype(), rows, classes, grad64.data<double>(), p.data_ptr(),
                                     labels.data<std::int64_t>(), labels.stride(0), on_label,
                                     everywhere, dlogits.data_ptr());
        return dlogits;
      });
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
