#include "tools/logits_csv.h"

#include <cstdio>

#include "core/atomic_file.h"

namespace hs::tools {

void write_logits_csv(const std::string& path, const data::ImageDataset& ds, const Tensor& logits) {
  HS_CHECK(logits.dim() == 2 && logits.size(0) == ds.n && logits.dtype() == DType::f32 &&
               logits.is_cpu(),
           "predict: logits must be f32 [", ds.n, ", classes] on the CPU, got ", logits.shape(),
           " ", dtype_name(logits.dtype()));
  const Tensor values = logits.contiguous();
  const std::int64_t classes = values.size(1);
  const float* p = values.data<float>();

  std::string text = "index,label";
  char cell[32];
  for (std::int64_t c = 0; c < classes; ++c) text += ",logit_" + std::to_string(c);
  text += "\n";
  for (std::int64_t i = 0; i < ds.n; ++i) {
    text += std::to_string(i) + "," + std::to_string(ds.labels[i]);
    for (std::int64_t c = 0; c < classes; ++c) {
      std::snprintf(cell, sizeof cell, ",%.9g", p[i * classes + c]);
      text += cell;
    }
    text += "\n";
  }
  write_file_atomic(path, text);
}

}  // namespace hs::tools
