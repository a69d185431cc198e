#pragma once
// Per-image logits as CSV, the format the cross-checks read.
#include <string>

#include "core/tensor.h"
#include "data/dataset.h"

namespace hs::tools {

// Writes `logits` [ds.n, classes] to `path` as CSV: a header "index,label,logit_0,...", then one
// row per image in dataset order, values with %.9g (exact for f32). Atomic: the text goes to a
// temporary file renamed over `path`; on failure `path` is left as it was and an hs::Error names
// it.
void write_logits_csv(const std::string& path, const data::ImageDataset& ds, const Tensor& logits);

}  // namespace hs::tools
