#pragma once
// Reductions on raw tensors: sums and means over all dims or a set of dims, and sum_to,
// the reduction that undoes broadcasting in backward passes.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace hs::ops {

// Sum over `dims` (all dims when empty); keepdim keeps reduced dims as size 1.
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims = {}, bool keepdim = false);

// Sums x down to `shape`, which x's shape must be a broadcast of (leading dims dropped,
// size-1 dims summed). Returns x itself when the shapes already match.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace hs::ops
