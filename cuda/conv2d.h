#pragma once
// The CUDA side of the 2-D convolution (ops/conv2d.h). Pointers are device memory holding
// f32 or f64 (`dtype`); outputs are contiguous and fully written by the call.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"
#include "cuda/planes.h"
#include "kernels/conv2d_geometry.h"

namespace hs::cuda {

// The geometry, checked and resolved by ops/conv2d.cpp (kernels/conv2d_geometry.h).
using ops::Conv2dGeometry;

// y [N, Cout, OH, OW] = conv(x, w) + bias; w contiguous, bias [Cout] contiguous or null.
void conv2d_forward(DType dtype, const Conv2dGeometry& geometry, PlanesRef x, const void* w,
                    const void* bias, void* y);
// dx [N, Cin, H, W] from dy (planes of [N, Cout, OH, OW]) and w (contiguous).
void conv2d_backward_input(DType dtype, const Conv2dGeometry& geometry, PlanesRef dy, const void* w,
                           void* dx);
// dw [Cout, Cin / groups, KH, KW] from dy and the forward's input x.
void conv2d_backward_weight(DType dtype, const Conv2dGeometry& geometry, PlanesRef dy, PlanesRef x,
                            void* dw);

}  // namespace hs::cuda
