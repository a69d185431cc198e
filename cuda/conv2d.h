#pragma once
// The CUDA side of the 2-D convolution (ops/conv2d.h). Pointers are device memory holding
// f32 or f64 (`dtype`); outputs are contiguous and fully written by the call.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"
#include "cuda/planes.h"
#include "kernels/im2col_index.h"

namespace hs::cuda {

// A convolution's sizes: `image` is the im2col geometry of one whole image (all input
// channels); weight [out_channels, image.channels / groups, kernel_h, kernel_w].
struct ConvShape {
  std::int64_t batch = 0;
  std::int64_t out_channels = 0;
  std::int64_t groups = 1;
  ops::Im2colGeometry image{};
};

// y [N, Cout, OH, OW] = conv(x, w) + bias; w contiguous, bias [Cout] contiguous or null.
void conv2d_forward(DType dtype, const ConvShape& shape, PlanesRef x, const void* w,
                    const void* bias, void* y);
// dx [N, Cin, H, W] from dy (planes of [N, Cout, OH, OW]) and w (contiguous).
void conv2d_backward_input(DType dtype, const ConvShape& shape, PlanesRef dy, const void* w,
                           void* dx);
// dw [Cout, Cin / groups, KH, KW] from dy and the forward's input x.
void conv2d_backward_weight(DType dtype, const ConvShape& shape, PlanesRef dy, PlanesRef x,
                            void* dw);

}  // namespace hs::cuda
