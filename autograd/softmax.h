#pragma once
// Differentiable softmax over one dimension (ops::softmax_forward / softmax_backward); the
// node keeps the output, in which the derivative is written.
#include <cstdint>

#include "autograd/variable.h"

namespace hs {

// softmax(x) along dim (negative counts from the end). Requirements as ops::softmax_forward.
Variable softmax(const Variable& x, std::int64_t dim);

}  // namespace hs
