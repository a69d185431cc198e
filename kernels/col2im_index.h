#pragma once
// The inverse of im2col's index map, for col2im written as a gather (one CUDA thread per
// input pixel sums the column-matrix elements that read it, so no two threads write the
// same pixel and the sum needs no atomics). The CPU's col2im scatters row by row instead
// and does not need it; the CPU tests check it against the forward map.
#include <cstdint>

#include "core/host_device.h"
#include "kernels/im2col_index.h"

namespace hs::ops {

// The output position along one axis whose kernel tap `tap` reads input position `in_index`
// (out_index * stride - pad + tap * dilation == in_index), or -1 when none among [0, out)
// does. At most one does: out_index is determined by the equation.
HS_HOST_DEVICE std::int64_t conv_output_reading(std::int64_t in_index, std::int64_t tap,
                                                std::int64_t stride, std::int64_t pad,
                                                std::int64_t dilation, std::int64_t out) {
  const std::int64_t shifted = in_index + pad - tap * dilation;
  if (shifted < 0 || shifted % stride != 0) return -1;
  const std::int64_t out_index = shifted / stride;
  return out_index < out ? out_index : -1;
}

// The output row that reads input row ih through kernel row kh, or -1.
HS_HOST_DEVICE std::int64_t col2im_output_row(const Im2colGeometry& g, std::int64_t kh,
                                              std::int64_t ih) {
  return conv_output_reading(ih, kh, g.stride_h, g.pad_h, g.dil_h, g.out_h);
}

// The output column that reads input column iw through kernel column kw, or -1.
HS_HOST_DEVICE std::int64_t col2im_output_col(const Im2colGeometry& g, std::int64_t kw,
                                              std::int64_t iw) {
  return conv_output_reading(iw, kw, g.stride_w, g.pad_w, g.dil_w, g.out_w);
}

}  // namespace hs::ops
