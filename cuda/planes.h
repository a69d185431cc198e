#pragma once
// PlanesRef: how the CNN kernels (conv2d, pooling) read a 4-D NCHW tensor in place.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

namespace hs::cuda {

// A batch of [channels, H*W] planes: image n, channel c starts at
// data + n * image_stride + c * channel_stride (in elements), and its H*W elements are
// dense. Channel slices of a bigger NCHW tensor (an HS-block split) are such planes.
struct PlanesRef {
  const void* data = nullptr;
  std::int64_t image_stride = 0;
  std::int64_t channel_stride = 0;
};

}  // namespace hs::cuda
