#pragma once
// The CUDA side of cross-entropy and the top-k label ranks (ops/loss.h).
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"

namespace hs::cuda {

// Cross-entropy over contiguous logits [rows, classes] with i64 labels (row n's at
// labels[n * label_stride]), as ops::cross_entropy_forward defines it: softmax
// [rows, classes] and loss (one element, the mean row loss, summed in double).
void cross_entropy_forward(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                           const std::int64_t* labels, std::int64_t label_stride, double on_label,
                           double everywhere, void* softmax, void* loss);
// dlogits [rows, classes] = (softmax − target) · grad[0] / rows; grad is one f64 element.
void cross_entropy_backward(DType dtype, std::int64_t rows, std::int64_t classes,
                            const double* grad, const void* softmax, const std::int64_t* labels,
                            std::int64_t label_stride, double on_label, double everywhere,
                            void* dlogits);
// ranks[n] = the rank of row n's label among its logits (kernels/loss_math.h).
void label_ranks(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                 const std::int64_t* labels, std::int64_t label_stride, std::int64_t* ranks);

}  // namespace hs::cuda
