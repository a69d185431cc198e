#include "tools/evaluate.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "autograd/grad_mode.h"
#include "data/loader.h"
#include "ops/loss.h"
#include "tools/nonfinite.h"

namespace hs::tools {

std::string EvalResult::nonfinite_problem() const {
  std::string problem;
  if (!std::isfinite(loss))
    problem = "the loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite");
  if (nonfinite_rows > 0)
    problem += (problem.empty() ? "" : " and ") + std::to_string(nonfinite_rows) + " of " +
               std::to_string(count) + " images have NaN or infinite logits (first: image " +
               std::to_string(first_nonfinite_row) + ")";
  return problem;
}

std::vector<double> EvalResult::per_class_accuracy() const {
  std::vector<double> acc(classes, 0.0);
  for (std::int64_t t = 0; t < classes; ++t) {
    std::int64_t total = 0;
    for (std::int64_t p = 0; p < classes; ++p) total += confusion[t * classes + p];
    acc[t] = total ? static_cast<double>(confusion[t * classes + t]) / total : 0.0;
  }
  return acc;
}

std::string EvalResult::report(const std::vector<std::string>& names) const {
  std::ostringstream os;
  auto name = [&](std::int64_t c) {
    return c < static_cast<std::int64_t>(names.size()) ? names[c] : std::to_string(c);
  };
  const std::vector<double> acc = per_class_accuracy();
  os << "per-class accuracy:\n";
  for (std::int64_t c = 0; c < classes; ++c)
    os << "  " << std::setw(3) << c << " " << std::left << std::setw(14) << name(c) << std::right
       << std::fixed << std::setprecision(2) << std::setw(7) << 100 * acc[c] << "%\n";
  os << "confusion matrix (rows: true class, columns: predicted):\n     ";
  for (std::int64_t p = 0; p < classes; ++p) os << std::setw(6) << p;
  os << "\n";
  for (std::int64_t t = 0; t < classes; ++t) {
    os << std::setw(5) << t;
    for (std::int64_t p = 0; p < classes; ++p) os << std::setw(6) << confusion[t * classes + p];
    os << "\n";
  }
  return os.str();
}

EvalResult evaluate(nn::Module& model, const data::ImageDataset& ds, const data::Augment& normalise,
                    std::int64_t batch_size, Device device, data::LoaderOptions loading) {
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  data::LoaderOptions opts = std::move(loading);
  opts.batch_size = batch_size;
  opts.shuffle = false;
  opts.augment = normalise;
  data::Loader loader(ds, opts);
  loader.start_epoch(0);

  EvalResult r;
  r.classes = ds.num_classes;
  r.confusion.assign(r.classes * r.classes, 0);
  const std::int64_t k5 = std::min<std::int64_t>(5, r.classes);
  double loss_sum = 0;
  std::int64_t top1 = 0, top5 = 0;
  data::Batch batch;
  while (loader.next(batch)) {
    const Tensor labels = batch.labels.to(device);
    const Tensor logits = model(Variable(batch.images.to(device))).data();
    const std::int64_t n = logits.size(0);
    loss_sum += ops::cross_entropy_forward(logits, labels).loss.item() * n;
    const std::vector<std::int64_t> correct = ops::topk_correct(logits, labels, {1, k5});
    top1 += correct[0];
    top5 += correct[1];
    const NonfiniteRows bad = nonfinite_rows(logits);
    if (bad.count > 0 && r.nonfinite_rows == 0) r.first_nonfinite_row = r.count + bad.first;
    r.nonfinite_rows += bad.count;
    const Tensor host = logits.to(Device::cpu()).to(DType::f32).contiguous();
    const float* p = host.data<float>();
    const std::int64_t* y = batch.labels.data<std::int64_t>();
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int64_t pred =
          std::max_element(p + i * r.classes, p + (i + 1) * r.classes) - (p + i * r.classes);
      ++r.confusion[y[i] * r.classes + pred];
    }
    r.count += n;
  }
  model.train(was_training);
  r.skipped_files = loader.skipped_files();
  HS_CHECK(r.count > 0, "evaluate: the dataset '", ds.name, "' is empty");
  r.loss = loss_sum / r.count;
  r.top1 = static_cast<double>(top1) / r.count;
  r.top5 = static_cast<double>(top5) / r.count;
  return r;
}

}  // namespace hs::tools
