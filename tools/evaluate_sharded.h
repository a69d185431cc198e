#pragma once
// Evaluation shared among the ranks of a group: rank r of K evaluates the r-th of K
// contiguous slices of the dataset (no image twice, none left out) and the counts, loss
// sums and confusion matrices are summed, so every rank gets the one-process result
// (skipped_files lists this rank's share only). `loading` as for evaluate().
#include "dist/process_group.h"
#include "tools/evaluate.h"

namespace hs::tools {

EvalResult evaluate_sharded(nn::Module& model, const data::ImageDataset& ds,
                            const data::Augment& normalise, std::int64_t batch_size, Device device,
                            dist::ProcessGroup& group, const data::LoaderOptions& loading = {});

}  // namespace hs::tools
