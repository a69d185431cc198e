#pragma once
// The geometry of one 2-D convolution, resolved once by the argument checks of ops/conv2d.cpp
// and handed to the CPU path (ops/cpu/conv2d*.cpp) and the CUDA path (cuda/conv2d.cu) alike.
// Input x [batch, in_c, H, W], weight [out_c, in_c_group, KH, KW], output
// [batch, out_c, OH, OW]; `image` is the im2col geometry of one whole image (all channels),
// whose column-matrix rows come grouped: rows [g * gemm_k, (g + 1) * gemm_k) and output
// channels [g * out_c_group, (g + 1) * out_c_group) belong to group g. Requires
// in_c = groups * in_c_group and out_c = groups * out_c_group (the checks ensure it).
#include <cstdint>

#include "core/host_device.h"
#include "kernels/im2col_index.h"

namespace hs::ops {

struct Conv2dGeometry {
  std::int64_t batch = 0, in_c = 0, out_c = 0, groups = 1;
  std::int64_t in_c_group = 0, out_c_group = 0;
  Im2colGeometry image{};

  // The GEMM depth of one group: its input channels times the kernel taps.
  HS_HOST_DEVICE std::int64_t gemm_k() const {
    return in_c_group * image.kernel_h * image.kernel_w;
  }
  HS_HOST_DEVICE std::int64_t column_rows() const { return image.column_rows(); }
  HS_HOST_DEVICE std::int64_t in_plane() const { return image.in_h * image.in_w; }
  HS_HOST_DEVICE std::int64_t out_plane() const { return image.out_h * image.out_w; }
  // Elements of one image of x and of y.
  HS_HOST_DEVICE std::int64_t x_image() const { return in_c * in_plane(); }
  HS_HOST_DEVICE std::int64_t y_image() const { return out_c * out_plane(); }
  // A 1x1, stride-1, unpadded convolution: each image's [Cin, H*W] planes are already its
  // column matrix.
  HS_HOST_DEVICE bool pointwise() const {
    return image.kernel_h == 1 && image.kernel_w == 1 && image.stride_h == 1 &&
           image.stride_w == 1 && image.pad_h == 0 && image.pad_w == 0;
  }
};

}  // namespace hs::ops
