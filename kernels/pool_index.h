#pragma once
// Pooling-window arithmetic along one spatial axis, shared by the CPU loops and the CUDA
// kernels: output extent, the input range one output cell covers once padding is clipped
// away, and the output cells that cover one input cell.
#include <cstdint>

#include "core/host_device.h"

namespace hs::ops {

// One axis of a pooling window. Requires kernel >= 1, stride >= 1, 0 <= pad <= kernel / 2
// (checked by the operators before any index is computed).
struct PoolAxis {
  std::int64_t kernel = 1;
  std::int64_t stride = 1;
  std::int64_t pad = 0;
};

// Number of output cells along an axis of `in` input cells (floor mode, as PyTorch's
// default); 0 when the padded input is shorter than the kernel.
HS_HOST_DEVICE std::int64_t pool_output_size(std::int64_t in, PoolAxis axis) {
  const std::int64_t span = in + 2 * axis.pad - axis.kernel;
  return span < 0 ? 0 : span / axis.stride + 1;
}

// The input cells [begin, end) under one output cell, clipped to the input, and
// padded_count, the cells the window covers within the padded input (the divisor of an
// average pool that counts padding).
struct PoolWindow {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t padded_count = 0;
};

HS_HOST_DEVICE PoolWindow pool_window(std::int64_t out_index, std::int64_t in, PoolAxis axis) {
  const std::int64_t start = out_index * axis.stride - axis.pad;
  const std::int64_t padded_end =
      start + axis.kernel < in + axis.pad ? start + axis.kernel : in + axis.pad;
  PoolWindow w;
  w.begin = start < 0 ? 0 : start;
  w.end = padded_end < in ? padded_end : in;
  w.padded_count = padded_end - start;
  return w;
}

// The output cells [first, last) whose windows contain input cell `in_index` (0 <= in_index
// < in): the inverse of pool_window, for a backward written as a gather over the input.
struct PoolCover {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

HS_HOST_DEVICE PoolCover pool_cover(std::int64_t in_index, std::int64_t out, PoolAxis axis) {
  // Window o spans [o * stride - pad, o * stride - pad + kernel); clipping to the input
  // never removes an in-range cell.
  const std::int64_t reach = in_index + axis.pad;
  const std::int64_t below = reach - axis.kernel;  // windows must start above this
  PoolCover c;
  c.first = below < 0 ? 0 : below / axis.stride + 1;
  c.last = reach / axis.stride + 1 < out ? reach / axis.stride + 1 : out;
  if (c.first > c.last) c.first = c.last;
  return c;
}

}  // namespace hs::ops
