#pragma once
// Guards that keep NaN and infinity from passing for results: a model whose weights or
// outputs are not finite is reported by name instead of being evaluated, saved or printed.
#include <cstdint>
#include <string>

#include "core/tensor.h"
#include "nn/module.h"

namespace hs::tools {

// The name of the first parameter or buffer of `model` holding a NaN or infinity, or "" when
// all are finite. One device synchronisation when all are finite (the common case).
std::string first_nonfinite_tensor(const nn::Module& model);

// The number of rows of a [rows, classes] logits tensor (any device) holding a NaN or
// infinity, and the first such row (-1 when none).
struct NonfiniteRows {
  std::int64_t count = 0, first = -1;
};
NonfiniteRows nonfinite_rows(const Tensor& logits);

}  // namespace hs::tools
