#pragma once
// The CUDA side of the optimizer updates, called by the nn/ optimizers (SGD, AdamW) for
// parameters on the GPU. Each updates n contiguous elements in place with the per-element
// rule of kernels/optim_math.h, its coefficients converted to the element type as on the CPU.
// Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"
#include "kernels/optim_math.h"

namespace hs::cuda {

// param −= lr·(grad + weight_decay·param) (sgd_update).
void sgd_update(DType dtype, std::int64_t n, void* param, const void* grad, double lr,
                double weight_decay);
// sgd_momentum_update with the momentum buffer `buffer`.
void sgd_momentum_update(DType dtype, std::int64_t n, void* param, void* buffer, const void* grad,
                         const ops::SgdCoefficients<double>& c);
// adamw_update with the moment buffers exp_avg and exp_avg_sq.
void adamw_update(DType dtype, std::int64_t n, void* param, void* exp_avg, void* exp_avg_sq,
                  const void* grad, const ops::AdamWCoefficients<double>& c);

}  // namespace hs::cuda
