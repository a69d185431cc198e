#pragma once
// Concatenation. (Split and the other views are Tensor methods in core: they cost nothing.)
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace hs::ops {

// Concatenates along dim; every other extent, the dtype and the device must agree. The
// output is allocated once and each input copied into its slice.
Tensor cat(const std::vector<Tensor>& xs, std::int64_t dim);

}  // namespace hs::ops
