#pragma once
// The CUDA side of max, average and global average pooling (ops/pooling.h). Pointers are
// device memory holding f32 or f64 (`dtype`) unless typed otherwise; outputs are contiguous.
// Called only from ops/ dispatch (never by users); argument checks, broadcasting and output
// allocation happen in ops/. Declared in every build, defined only in builds with CUDA.
#include <cstdint>

#include "core/dtype.h"
#include "cuda/planes.h"
#include "kernels/pool_index.h"

namespace hs::cuda {

// A pooling call's sizes over `batch` x `channels` planes of in_h x in_w.
struct PoolShape {
  std::int64_t batch = 0, channels = 0;
  std::int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  ops::PoolAxis h, w;
};

// y and indices [N, C, OH, OW] as ops::max_pool2d_forward defines them.
void max_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, void* y,
                        std::int64_t* indices);
// dx [planes, in_plane] = each dy element (contiguous [planes, out_plane]) added at its
// index, in the CPU's order. Returns false (dx then incomplete) when an index lies outside
// [0, in_plane); waits for the GPU to know.
bool max_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t in_plane,
                         std::int64_t out_plane, const void* dy, const std::int64_t* indices,
                         void* dx);
// y [N, C, OH, OW] as ops::avg_pool2d_forward defines it.
void avg_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, bool count_include_pad,
                        void* y);
// dx [N, C, H, W] from contiguous dy [N, C, OH, OW].
void avg_pool2d_backward(DType dtype, const PoolShape& shape, const void* dy,
                         bool count_include_pad, void* dx);
// y [planes] = the mean of each plane of x (planes of plane_size elements, `channels` per image).
void global_avg_pool2d_forward(DType dtype, std::int64_t batch, std::int64_t channels,
                               std::int64_t plane_size, PlanesRef x, void* y);
// dx [planes, plane_size] = dy[plane] / plane_size, dy contiguous [planes].
void global_avg_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t plane_size,
                                const void* dy, void* dx);

}  // namespace hs::cuda
