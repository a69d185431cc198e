#pragma once
// Index arithmetic of im2col / col2im for 2-D convolution, shared by the CPU loops and the
// CUDA kernels. The column matrix of one image has a row per (channel, kh, kw) and a column
// per output position (oh, ow); its element is the input pixel that kernel tap (kh, kw) sees
// from output position (oh, ow), or zero where that pixel lies in the padding. With groups,
// group g's rows are the contiguous block of its channels.
#include <cstdint>

#include "core/host_device.h"

namespace hs::ops {

// Output extent of a convolution along one axis; zero or less when the dilated kernel does
// not fit into the padded input.
HS_HOST_DEVICE std::int64_t conv_output_size(std::int64_t in, std::int64_t kernel,
                                             std::int64_t stride, std::int64_t pad,
                                             std::int64_t dilation) {
  const std::int64_t span = in + 2 * pad - dilation * (kernel - 1);
  return span < 1 ? span - 1 : (span - 1) / stride + 1;
}

// The geometry of one image's im2col: input planes [channels, in_h, in_w], kernel
// [kernel_h, kernel_w], output [out_h, out_w], and the stride, padding and dilation.
struct Im2colGeometry {
  std::int64_t channels, in_h, in_w;
  std::int64_t kernel_h, kernel_w;
  std::int64_t out_h, out_w;
  std::int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;

  HS_HOST_DEVICE std::int64_t column_rows() const { return channels * kernel_h * kernel_w; }
  HS_HOST_DEVICE std::int64_t column_cols() const { return out_h * out_w; }

  // Input row / column seen by kernel tap kh (kw) from output row oh (column ow); may lie
  // outside [0, in_h) / [0, in_w), i.e. in the padding.
  HS_HOST_DEVICE std::int64_t input_row(std::int64_t kh, std::int64_t oh) const {
    return oh * stride_h - pad_h + kh * dil_h;
  }
  HS_HOST_DEVICE std::int64_t input_col(std::int64_t kw, std::int64_t ow) const {
    return ow * stride_w - pad_w + kw * dil_w;
  }

  // Splits a column-matrix row into (channel, kh, kw).
  HS_HOST_DEVICE void split_row(std::int64_t row, std::int64_t& c, std::int64_t& kh,
                                std::int64_t& kw) const {
    kw = row % kernel_w;
    kh = (row / kernel_w) % kernel_h;
    c = row / (kernel_w * kernel_h);
  }

  // Offset into the image's [channels, in_h, in_w] planes of the pixel at column-matrix
  // element (row, col), or -1 where it lies in the padding.
  HS_HOST_DEVICE std::int64_t input_offset(std::int64_t row, std::int64_t col) const {
    std::int64_t c, kh, kw;
    split_row(row, c, kh, kw);
    const std::int64_t ih = input_row(kh, col / out_w);
    const std::int64_t iw = input_col(kw, col % out_w);
    if (ih < 0 || ih >= in_h || iw < 0 || iw >= in_w) return -1;
    return (c * in_h + ih) * in_w + iw;
  }

  // The output columns [first, last) for which kernel tap kw reads inside [0, in_w); the
  // columns outside the range read padding. Lets a row loop skip the bounds test.
  HS_HOST_DEVICE void valid_cols(std::int64_t kw, std::int64_t& first, std::int64_t& last) const {
    valid_range(pad_w - kw * dil_w, stride_w, in_w, out_w, first, last);
  }
  // The same for output rows and kernel tap kh.
  HS_HOST_DEVICE void valid_rows(std::int64_t kh, std::int64_t& first, std::int64_t& last) const {
    valid_range(pad_h - kh * dil_h, stride_h, in_h, out_h, first, last);
  }

 private:
  // Outputs o in [0, out) with 0 <= o * stride - shift < in, as [first, last).
  HS_HOST_DEVICE static void valid_range(std::int64_t shift, std::int64_t stride, std::int64_t in,
                                         std::int64_t out, std::int64_t& first,
                                         std::int64_t& last) {
    const std::int64_t end = in + shift;
    if (stride == 1) {  // the common case, kept free of divisions
      first = shift <= 0 ? 0 : shift;
      last = end <= 0 ? 0 : end;
    } else {
      first = shift <= 0 ? 0 : (shift + stride - 1) / stride;
      last = end <= 0 ? 0 : (end + stride - 1) / stride;
    }
    if (last > out) last = out;
    if (first > last) first = last;
  }
};

}  // namespace hs::ops
