#pragma once
// Direct f32 convolution for x86 CPUs with AVX2 and FMA: stride 1, dilation 1, one group,
// any kernel size and padding. Internal to ops/ (conv2d.cpp chooses it).
//
// The GEMM lowering pays for an im2col copy KH*KW times the input, BLAS packing that copy
// again and zeroing the output before the GEMM; with few output channels (HS-ResNet split
// convolutions have 8-56) the GEMM itself is thin and runs far from peak. This kernel reads
// a zero-padded copy of each input image instead and keeps a tile of 2 output rows x 8
// columns of up to 6 output channels in registers: per kernel tap two loads of 8 input
// pixels and, per output channel, one broadcast weight and two FMAs. The weight gradient
// works the same way, summing dy x input products of a tile in the vector lanes.
#include <cstdint>

namespace hs::ops::detail {

struct DirectConvGeometry {
  std::int64_t in_c, in_h, in_w;  // input image [in_c, in_h, in_w]
  std::int64_t out_c, out_h, out_w;
  std::int64_t kernel_h, kernel_w, pad_h, pad_w;
};

// Whether this CPU can run the kernel (AVX2 and FMA; checked once).
bool direct_conv_cpu_supported();

// Floats of the packed weights, and of one thread's padded-image scratch.
std::int64_t direct_conv_packed_weight_size(const DirectConvGeometry& g);
std::int64_t direct_conv_padded_image_size(const DirectConvGeometry& g);

// Reorders w [out_c, in_c, KH, KW] into blocks of 8 output channels, each [in_c, KH, KW, 8]
// (zero beyond out_c), the order in which the kernel reads them.
void direct_conv_pack_weights(const DirectConvGeometry& g, const float* w, float* packed);

// y [out_c, out_h, out_w] (dense) of one image, whose channel c starts at
// x + c * channel_stride (dense [in_h, in_w] planes), plus bias[out_c] when not null, through
// a ReLU when `relu` (applied to the registers before they are stored).
// `padded` is scratch of direct_conv_padded_image_size(g) floats.
void direct_conv_image(const DirectConvGeometry& g, const float* x, std::int64_t channel_stride,
                       const float* packed_w, const float* bias, bool relu, float* padded,
                       float* y);

// The weight gradient: whether the direct kernel handles g (kernel width 3 for now), and
// dw [out_c, in_c, KH, KW] (dense) += the gradient from one image, from its input x (as in
// direct_conv_image) and its output gradient dy, whose channel m starts at
// dy + m * dy_channel_stride (dense [out_h, out_w] planes).
bool direct_conv_weight_grad_supported(const DirectConvGeometry& g);
void direct_conv_weight_grad_image(const DirectConvGeometry& g, const float* x,
                                   std::int64_t x_channel_stride, const float* dy,
                                   std::int64_t dy_channel_stride, float* padded, float* dw);

}  // namespace hs::ops::detail
