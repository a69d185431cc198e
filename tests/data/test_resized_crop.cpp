// The ImageNet transforms' geometry (data/resized_crop.h): random resized crop boxes within
// torchvision's bounds and reproducible from the seed, its fallback, the 256/224 resize and
// centre crop, and the bilinear sampler against direct formulas, flipped and normalised.
#include <catch2/catch.hpp>
#include <cmath>

#include "data/resized_crop.h"

using namespace hs;
using namespace hs::data;

TEST_CASE("random resized crop boxes follow torchvision's bounds", "[data][crop]") {
  Generator gen(7);
  for (int i = 0; i < 500; ++i) {
    const CropBox box = random_resized_crop_box(300, 400, gen);
    REQUIRE(box.top >= 0);
    REQUIRE(box.left >= 0);
    REQUIRE(box.top + box.height <= 300);
    REQUIRE(box.left + box.width <= 400);
    const double area = double(box.height) * box.width / (300.0 * 400.0);
    const double ratio = double(box.width) / box.height;
    // Rounding the sides to whole pixels moves area and ratio a little past the bounds.
    REQUIRE(area >= 0.08 * 0.9);
    REQUIRE(area <= 1.0);
    REQUIRE(ratio >= 0.75 * 0.95);
    REQUIRE(ratio <= 4.0 / 3.0 * 1.05);
  }
}

TEST_CASE("random resized crop boxes come from the seed", "[data][crop]") {
  Generator a(42), b(42), c(43);
  const CropBox x = random_resized_crop_box(224, 300, a);
  const CropBox y = random_resized_crop_box(224, 300, b);
  const CropBox z = random_resized_crop_box(224, 300, c);
  CHECK((x.top == y.top && x.left == y.left && x.height == y.height && x.width == y.width));
  CHECK_FALSE((x.top == z.top && x.left == z.left && x.height == z.height && x.width == z.width));
}

TEST_CASE("a sliver of an image falls back to the centred box of the extreme ratio",
          "[data][crop]") {
  // 1 x 100: no draw of ratio <= 4/3 fits, so the fallback takes the full height and the
  // width round(1 * 4/3) = 1, centred.
  Generator gen(1);
  const CropBox box = random_resized_crop_box(1, 100, gen);
  CHECK(box.height == 1);
  CHECK(box.width == 1);
  CHECK(box.top == 0);
  CHECK(box.left == 49);
}

TEST_CASE("the evaluation crop is Resize(256) then CenterCrop(224)", "[data][crop]") {
  // A 512 x 1024 image: resized to 256 x 512, the centre 224 x 224 starts at row 16 and
  // column 144 of the resized image, i.e. source rows from 32, columns from 288, 2 source
  // pixels per output pixel.
  const AxisSampling rows = center_crop_axis(512, 512, 224);
  const AxisSampling cols = center_crop_axis(1024, 512, 224);
  CHECK(rows.scale == Approx(2.0));
  CHECK(rows.offset == Approx(32.0));
  CHECK(cols.scale == Approx(2.0));
  CHECK(cols.offset == Approx(288.0));
  CHECK(rows.high == 511);
  CHECK(cols.high == 1023);
}

TEST_CASE("the sampler interpolates, flips and normalises", "[data][crop]") {
  // A 1-channel 2 x 4 image with values 10*y + x*20.
  Image image{1, 2, 4, {0, 20, 40, 60, 10, 30, 50, 70}};
  SECTION("identity sampling copies, normalised") {
    std::vector<float> out(8);
    sample_normalised(image, crop_axis(0, 2, 2), crop_axis(0, 4, 4), 2, 4, false, {0.5f}, {0.25f},
                      out.data());
    for (int i = 0; i < 8; ++i) CHECK(out[i] == Approx((image.pixels[i] / 255.0 - 0.5) / 0.25));
  }
  SECTION("mirrored") {
    std::vector<float> out(8);
    sample_normalised(image, crop_axis(0, 2, 2), crop_axis(0, 4, 4), 2, 4, true, {}, {},
                      out.data());
    CHECK(out[0] == Approx(60 / 255.0));
    CHECK(out[3] == Approx(0.0));
    CHECK(out[4] == Approx(70 / 255.0));
  }
  SECTION("a crop of columns 1..2 resized to 4 columns") {
    // Output column o samples 1 + (o + 0.5) * 0.5 - 0.5, clamped to [1, 2]: 1, 1.25, 1.75, 2.
    std::vector<float> out(4);
    sample_normalised(image, crop_axis(0, 1, 1), crop_axis(1, 2, 4), 1, 4, false, {}, {},
                      out.data());
    CHECK(out[0] * 255 == Approx(20));
    CHECK(out[1] * 255 == Approx(25));
    CHECK(out[2] * 255 == Approx(35));
    CHECK(out[3] * 255 == Approx(40));
  }
  SECTION("halving the rows averages them") {
    std::vector<float> out(4);
    sample_normalised(image, crop_axis(0, 2, 1), crop_axis(0, 4, 4), 1, 4, false, {}, {},
                      out.data());
    CHECK(out[0] * 255 == Approx(5));
    CHECK(out[3] * 255 == Approx(65));
  }
}
