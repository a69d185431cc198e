#pragma once
// The CUDA side of softmax over one dimension (ops/softmax.h). Pointers are device memory
// holding contiguous f32 or f64 (`dtype`) viewed as [outer, n, inner], the softmax running
// over n. Called only from ops/ dispatch; checks and allocation happen there. Declared in
// every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"

namespace hs::cuda {

void softmax_forward(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                     const void* x, void* y);
void softmax_backward(DType dtype, std::int64_t outer, std::int64_t n, std::int64_t inner,
                      const void* y, const void* dy, void* dx);

}  // namespace hs::cuda
