#pragma once
// The backward engine: runs every node reachable from the roots exactly once, in reverse
// topological order, summing the gradients that reach a node from several consumers before
// running it, and accumulating into leaves' .grad.
#include <vector>

#include "autograd/variable.h"

namespace hs {

void run_backward(const std::vector<Variable>& roots, const std::vector<Tensor>& grads,
                  bool retain_graph);

}  // namespace hs
