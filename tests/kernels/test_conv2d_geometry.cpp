// The convolution geometry shared by the CPU and CUDA paths (kernels/conv2d_geometry.h):
// its derived sizes, and which geometries count as pointwise (their input is the column
// matrix, so both paths skip im2col for them).
#include <catch2/catch.hpp>
#include <cstdint>

#include "kernels/conv2d_geometry.h"

using namespace hs::ops;
using std::int64_t;

namespace {

// x [batch, in_c, in_h, in_w] with `groups` groups, kernel kh x kw, stride, padding,
// dilation 1; out_c output channels.
Conv2dGeometry geometry(int64_t batch, int64_t in_c, int64_t in_h, int64_t in_w, int64_t out_c,
                        int64_t groups, int64_t kh, int64_t kw, int64_t stride, int64_t pad) {
  const int64_t out_h = conv_output_size(in_h, kh, stride, pad, 1);
  const int64_t out_w = conv_output_size(in_w, kw, stride, pad, 1);
  Conv2dGeometry g;
  g.batch = batch;
  g.in_c = in_c;
  g.out_c = out_c;
  g.groups = groups;
  g.in_c_group = in_c / groups;
  g.out_c_group = out_c / groups;
  g.image = {in_c, in_h, in_w, kh, kw, out_h, out_w, stride, stride, pad, pad, 1, 1};
  return g;
}

}  // namespace

TEST_CASE("conv2d geometry: sizes of a grouped, strided convolution") {
  // x [2, 6, 7, 5], 3 groups, kernel 3x2, stride 2, padding 1: OH 4, OW 3.
  const Conv2dGeometry g = geometry(2, 6, 7, 5, 9, 3, 3, 2, 2, 1);
  REQUIRE(g.image.out_h == 4);
  REQUIRE(g.image.out_w == 3);
  REQUIRE(g.gemm_k() == 2 * 3 * 2);
  // The column matrix holds every group's rows, one block of gemm_k per group.
  REQUIRE(g.column_rows() == g.groups * g.gemm_k());
  REQUIRE(g.in_plane() == 7 * 5);
  REQUIRE(g.out_plane() == 4 * 3);
  REQUIRE(g.x_image() == 6 * 7 * 5);
  REQUIRE(g.y_image() == 9 * 4 * 3);
  REQUIRE(g.out_c_group * g.groups == g.out_c);
  REQUIRE_FALSE(g.pointwise());
}

TEST_CASE("conv2d geometry: only a 1x1, stride-1, unpadded convolution is pointwise") {
  REQUIRE(geometry(1, 4, 5, 5, 8, 1, 1, 1, 1, 0).pointwise());
  REQUIRE(geometry(3, 4, 5, 5, 8, 2, 1, 1, 1, 0).pointwise());        // groups do not matter
  REQUIRE_FALSE(geometry(1, 4, 5, 5, 8, 1, 1, 1, 2, 0).pointwise());  // strided
  REQUIRE_FALSE(geometry(1, 4, 5, 5, 8, 1, 1, 1, 1, 1).pointwise());  // padded
  REQUIRE_FALSE(geometry(1, 4, 5, 5, 8, 1, 3, 1, 1, 0).pointwise());  // 3x1
  REQUIRE_FALSE(geometry(1, 4, 5, 5, 8, 1, 1, 3, 1, 0).pointwise());  // 1x3
}
