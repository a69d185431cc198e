// The inverse im2col map that the CUDA col2im gathers with (kernels/col2im_index.h),
// checked against the forward map of im2col_index.h by brute force over small geometries.
#include <catch2/catch.hpp>
#include <cstdint>

#include "kernels/col2im_index.h"

using namespace hs::ops;
using std::int64_t;

TEST_CASE("col2im: each input position is read by the output the forward map names") {
  for (int64_t in = 1; in <= 8; ++in)
    for (int64_t kernel = 1; kernel <= 4; ++kernel)
      for (int64_t stride = 1; stride <= 3; ++stride)
        for (int64_t pad = 0; pad <= 2; ++pad)
          for (int64_t dil = 1; dil <= 2; ++dil) {
            const int64_t out = conv_output_size(in, kernel, stride, pad, dil);
            if (out < 1) continue;
            for (int64_t tap = 0; tap < kernel; ++tap)
              for (int64_t i = 0; i < in; ++i) {
                int64_t expected = -1;
                for (int64_t o = 0; o < out; ++o)
                  if (o * stride - pad + tap * dil == i) expected = o;
                INFO("in " << in << " kernel " << kernel << " stride " << stride << " pad " << pad
                           << " dil " << dil << " tap " << tap << " i " << i);
                REQUIRE(conv_output_reading(i, tap, stride, pad, dil, out) == expected);
              }
          }
}

TEST_CASE("col2im: the row and column wrappers use their own axis") {
  // Height: in 7, kernel 3, stride 2, pad 1, dilation 1 -> out 4. Width: in 6, kernel 2,
  // stride 1, pad 0, dilation 2 -> out 4.
  const Im2colGeometry g{2, 7, 6, 3, 2, 4, 4, 2, 1, 1, 0, 1, 2};
  for (int64_t kh = 0; kh < 3; ++kh)
    for (int64_t ih = 0; ih < 7; ++ih) {
      const int64_t oh = col2im_output_row(g, kh, ih);
      REQUIRE(oh == conv_output_reading(ih, kh, 2, 1, 1, 4));
      if (oh >= 0) REQUIRE(g.input_row(kh, oh) == ih);
    }
  for (int64_t kw = 0; kw < 2; ++kw)
    for (int64_t iw = 0; iw < 6; ++iw) {
      const int64_t ow = col2im_output_col(g, kw, iw);
      REQUIRE(ow == conv_output_reading(iw, kw, 1, 0, 2, 4));
      if (ow >= 0) REQUIRE(g.input_col(kw, ow) == iw);
    }
}
