#pragma once
// im2col / col2im on the CPU, one input channel of one image at a time: callers spread
// (image, channel) pairs over threads without races. `planes` points at channel 0 of an
// image, channel c at planes + c * channel_stride. A channel owns kernel_h * kernel_w
// consecutive column-matrix rows; `ld` is the column matrix's leading dimension. The index
// arithmetic is kernels/im2col_index.h's, shared with the CUDA kernels.
//
// Stride 1 with out_w == in_w (a "same" convolution) has a fast path: the valid output rows
// of a column-matrix row read one contiguous stretch of the input plane, moved at once; the
// columns that wrapped into the neighbouring input row are zeroed separately. Small images
// make many short rows, so this saves most of the per-row work.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "kernels/im2col_index.h"

namespace hs::ops::detail {

inline bool contiguous_rows(const Im2colGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.out_w == g.in_w;
}

// Zeroes the columns [0, first) and [last, out_w) of output rows [top, bottom). Column by
// column: these are one or two elements per row, and a row-wise loop would be compiled into
// a memset call per row.
template <class T>
void zero_row_edges(T* out, const Im2colGeometry& g, std::int64_t top, std::int64_t bottom,
                    std::int64_t first, std::int64_t last) {
  for (std::int64_t ow = 0; ow < first; ++ow)
    for (std::int64_t oh = top; oh < bottom; ++oh) out[oh * g.out_w + ow] = T(0);
  for (std::int64_t ow = last; ow < g.out_w; ++ow)
    for (std::int64_t oh = top; oh < bottom; ++oh) out[oh * g.out_w + ow] = T(0);
}

// Fills the column-matrix rows of channel c (starting at `cols`).
template <class T>
void im2col_channel(const T* planes, std::int64_t channel_stride, const Im2colGeometry& g,
                    std::int64_t c, T* cols, std::int64_t ld) {
  const T* plane = planes + c * channel_stride;
  const std::int64_t p = g.column_cols();
  for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
    std::int64_t top, bottom;
    g.valid_rows(kh, top, bottom);
    for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
      T* out = cols + (kh * g.kernel_w + kw) * ld;
      std::int64_t first, last;
      g.valid_cols(kw, first, last);
      if (first == last || top == bottom) {
        std::fill(out, out + p, T(0));
        continue;
      }
      if (top > 0) std::fill(out, out + top * g.out_w, T(0));
      if (bottom < g.out_h) std::fill(out + bottom * g.out_w, out + p, T(0));
      if (contiguous_rows(g)) {
        const std::int64_t shift = g.input_row(kh, 0) * g.in_w + g.input_col(kw, 0);
        const std::int64_t begin = top * g.out_w + first, end = (bottom - 1) * g.out_w + last;
        std::memcpy(out + begin, plane + begin + shift, (end - begin) * sizeof(T));
        zero_row_edges(out, g, top, bottom, first, last);
        continue;
      }
      for (std::int64_t oh = top; oh < bottom; ++oh) {
        T* line = out + oh * g.out_w;
        const T* src = plane + g.input_row(kh, oh) * g.in_w + g.input_col(kw, first);
        // Strided rows of small planes defeat the hardware prefetcher, which also stops at
        // page boundaries (a 32x32 f32 plane is one page): fetch the next channel's row now.
        // A prefetch never faults, so running past the last channel is harmless.
        __builtin_prefetch(src + channel_stride);
        __builtin_prefetch(src + channel_stride + 64 / sizeof(T));
        if (g.stride_w == 1) {
          std::memcpy(line + first, src, (last - first) * sizeof(T));
        } else if (g.stride_w == 2) {  // a constant stride lets the compiler vectorize
          for (std::int64_t ow = first; ow < last; ++ow) line[ow] = src[2 * (ow - first)];
        } else {
          for (std::int64_t ow = first; ow < last; ++ow, src += g.stride_w) line[ow] = *src;
        }
      }
      zero_row_edges(out, g, top, bottom, first, last);
    }
  }
}

// Sets input plane c of `image` (dense [C, in_h, in_w]) to the sum of the column-matrix
// elements taken from it (rows of channel c starting at `cols`): the adjoint of im2col.
// `cols` is scratch: the fast path zeroes its padding elements.
template <class T>
void col2im_channel(T* cols, std::int64_t ld, const Im2colGeometry& g, std::int64_t c, T* image) {
  T* plane = image + c * g.in_h * g.in_w;
  std::fill(plane, plane + g.in_h * g.in_w, T(0));
  for (std::int64_t kh = 0; kh < g.kernel_h; ++kh) {
    std::int64_t top, bottom;
    g.valid_rows(kh, top, bottom);
    for (std::int64_t kw = 0; kw < g.kernel_w; ++kw) {
      T* in = cols + (kh * g.kernel_w + kw) * ld;
      std::int64_t first, last;
      g.valid_cols(kw, first, last);
      if (first == last || top == bottom) continue;
      if (contiguous_rows(g)) {
        zero_row_edges(in, g, top, bottom, first, last);
        const std::int64_t shift = g.input_row(kh, 0) * g.in_w + g.input_col(kw, 0);
        const std::int64_t begin = top * g.out_w + first, end = (bottom - 1) * g.out_w + last;
        T* dst = plane + begin + shift;
        for (std::int64_t j = begin; j < end; ++j) dst[j - begin] += in[j];
        continue;
      }
      for (std::int64_t oh = top; oh < bottom; ++oh) {
        const T* line = in + oh * g.out_w;
        T* dst = plane + g.input_row(kh, oh) * g.in_w + g.input_col(kw, first);
        if (g.stride_w == 1) {
          for (std::int64_t ow = first; ow < last; ++ow) dst[ow - first] += line[ow];
        } else {
          for (std::int64_t ow = first; ow < last; ++ow, dst += g.stride_w) *dst += line[ow];
        }
      }
    }
  }
}

}  // namespace hs::ops::detail
