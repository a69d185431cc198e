#pragma once
// Fully connected layer on raw tensors (no autograd): y = x·wᵀ + b through BLAS GEMM, and
// its backward. f32 and f64 on the CPU (BLAS) and CUDA (cuBLAS).
#include "core/tensor.h"

namespace hs::ops {

// x [N,in], w [out,in], b [out] or undefined (no bias) -> y [N,out]. All share dtype and
// device; any layout in, contiguous out.
Tensor linear_forward(const Tensor& x, const Tensor& w, const Tensor& b = {});

// Gradients of linear; each is computed only when asked for (undefined otherwise).
struct LinearGrads {
  Tensor dx;  // [N,in] = dy·w
  Tensor dw;  // [out,in] = dyᵀ·x
  Tensor db;  // [out] = Σ_n dy
};

// dy [N,out]; x and w as given to the forward.
LinearGrads linear_backward(const Tensor& dy, const Tensor& x, const Tensor& w, bool need_dx,
                            bool need_dw, bool need_db);

}  // namespace hs::ops
