#pragma once
// The CUDA side of the sum reductions (ops/reduce.h).
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/backend.h"

namespace hs::cuda {

// out (contiguous, `outer * inner` elements) = sum over the reduced extent of `in`, where
// `in` is viewed as [outer, reduced, inner] after ops/ has permuted and made it
// contiguous. Accumulates in double for f32 too.
void sum_reduce(const StridedRef& out, const StridedRef& in, std::int64_t outer,
                std::int64_t reduced, std::int64_t inner);

}  // namespace hs::cuda
