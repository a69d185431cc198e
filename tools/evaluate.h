#pragma once
// Evaluation of a classifier on a dataset: mean loss, top-1 and top-5 accuracy, per-class
// accuracy and the confusion matrix, in eval mode without recording a graph.
#include <cstdint>
#include <string>
#include <vector>

#include "core/device.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "nn/module.h"

namespace hs::tools {

struct EvalResult {
  std::int64_t count = 0;
  double loss = 0, top1 = 0, top5 = 0;
  std::int64_t classes = 0;
  std::vector<std::int64_t> confusion;  // [true class][predicted class], row-major
  // Images whose logits hold a NaN or infinity (counted wrong in top1/top5), the first one.
  std::int64_t nonfinite_rows = 0, first_nonfinite_row = -1;
  std::vector<std::string> skipped_files;  // bad files left out (LoaderOptions::skip_bad_images)

  // "" when loss and logits are finite, else what is not: such a result is no result.
  std::string nonfinite_problem() const;

  std::vector<double> per_class_accuracy() const;
  // Per-class accuracy table and confusion matrix, with class names.
  std::string report(const std::vector<std::string>& class_names) const;
};

// The model's train/eval mode is restored afterwards. `loading` gives the decode threads and
// the skipping of bad files for on-disk datasets (its batch size, order and augmentation are
// replaced by the evaluation's).
EvalResult evaluate(nn::Module& model, const data::ImageDataset& ds, const data::Augment& normalise,
                    std::int64_t batch_size, Device device, data::LoaderOptions loading = {});

}  // namespace hs::tools
