#pragma once
// Differentiable max, average and global average pooling on Variables (ops/pooling.h).
#include <optional>

#include "autograd/variable.h"
#include "ops/pooling.h"

namespace hs {

// Max pool of a 4-D x (ops::max_pool2d_forward); the gradient goes to each window's argmax.
Variable max_pool2d(const Variable& x, ops::Size2 kernel,
                    std::optional<ops::Size2> stride = std::nullopt, ops::Size2 padding = 0);

// Average pool of a 4-D x (ops::avg_pool2d_forward).
Variable avg_pool2d(const Variable& x, ops::Size2 kernel,
                    std::optional<ops::Size2> stride = std::nullopt, ops::Size2 padding = 0,
                    bool count_include_pad = true);

// Adaptive average pool to 1x1: [N,C,H,W] -> [N,C,1,1].
Variable global_avg_pool2d(const Variable& x);

}  // namespace hs
