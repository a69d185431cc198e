#pragma once
// all_reduce_sum as a differentiable function: y = sum over ranks of x, on every rank. When
// every rank's loss uses y, the gradient of the summed losses with respect to one rank's x
// is the sum over ranks of the gradients with respect to y, so backward all-reduces too.
// Every rank must call it, and run the backward, in the same order.
#include "autograd/variable.h"
#include "dist/process_group.h"

namespace hs::dist {

Variable all_reduce_sum(const Variable& x, ProcessGroup& group);

}  // namespace hs::dist
