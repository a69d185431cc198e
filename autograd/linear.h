#pragma once
// The differentiable linear layer on Variables (ops/linear.h).
#include "autograd/variable.h"

namespace hs {

// x [N,in]·wᵀ + b with w [out,in] and b [out] (b may be undefined: no bias).
Variable linear(const Variable& x, const Variable& w, const Variable& b = {});

}  // namespace hs
