#include "tools/evaluate_sharded.h"

#include <algorithm>
#include <cmath>

namespace hs::tools {

namespace {

data::ImageDataset slice(const data::ImageDataset& ds, std::int64_t start, std::int64_t count) {
  data::ImageDataset out;
  out.n = count;
  out.channels = ds.channels;
  out.height = ds.height;
  out.width = ds.width;
  out.num_classes = ds.num_classes;
  out.class_names = ds.class_names;
  out.name = ds.name;
  const auto image_size = static_cast<std::size_t>(ds.image_size());
  const auto first = static_cast<std::size_t>(start);
  if (ds.files.empty()) {
    out.pixels.assign(ds.pixels.begin() + first * image_size,
                      ds.pixels.begin() + (first + count) * image_size);
  } else {  // an on-disk dataset (an image folder): its files, decoded by evaluate()
    out.files.assign(ds.files.begin() + first, ds.files.begin() + first + count);
  }
  out.labels.assign(ds.labels.begin() + first, ds.labels.begin() + first + count);
  return out;
}

}  // namespace

EvalResult evaluate_sharded(nn::Module& model, const data::ImageDataset& ds,
                            const data::Augment& normalise, std::int64_t batch_size, Device device,
                            dist::ProcessGroup& group, const data::LoaderOptions& loading) {
  if (group.size() == 1) return evaluate(model, ds, normalise, batch_size, device, loading);
  const std::int64_t k = group.size(), r = group.rank();
  const std::int64_t start = ds.n * r / k, end = ds.n * (r + 1) / k;
  EvalResult mine;
  mine.classes = ds.num_classes;
  mine.confusion.assign(mine.classes * mine.classes, 0);
  if (end > start)
    mine = evaluate(model, slice(ds, start, end - start), normalise, batch_size, device, loading);

  // count, loss sum, top-1 and top-5 sums, non-finite rows, one slot per rank for its first
  // non-finite row (+1, 0: none), then the confusion matrix; every figure an exact integer
  // in f64 but the loss.
  const std::int64_t cells = mine.classes * mine.classes;
  Tensor t = zeros({5 + k + cells}, DType::f64);
  double* v = t.data<double>();
  const double n = static_cast<double>(mine.count);
  v[0] = n;
  v[1] = mine.loss * n;
  v[2] = std::round(mine.top1 * n);
  v[3] = std::round(mine.top5 * n);
  v[4] = static_cast<double>(mine.nonfinite_rows);
  if (mine.first_nonfinite_row >= 0)
    v[5 + r] = static_cast<double>(start + mine.first_nonfinite_row + 1);
  for (std::int64_t c = 0; c < cells; ++c) v[5 + k + c] = static_cast<double>(mine.confusion[c]);
  group.allreduce_sum(t);

  EvalResult all;
  all.classes = mine.classes;
  all.count = std::llround(v[0]);
  const double total = std::max(1.0, v[0]);
  all.loss = v[1] / total;
  all.top1 = v[2] / total;
  all.top5 = v[3] / total;
  all.nonfinite_rows = std::llround(v[4]);
  for (std::int64_t q = 0; q < k && all.first_nonfinite_row < 0; ++q)
    if (v[5 + q] > 0) all.first_nonfinite_row = std::llround(v[5 + q]) - 1;
  all.confusion.resize(static_cast<std::size_t>(cells));
  for (std::int64_t c = 0; c < cells; ++c) all.confusion[c] = std::llround(v[5 + k + c]);
  all.skipped_files = mine.skipped_files;  // this rank's share
  return all;
}

}  // namespace hs::tools
