// JPEG decoding (data/jpeg.h): flat colours come back within JPEG's rounding, gray stays one
// channel, and corrupt, truncated or foreign bytes are errors naming the file; decode_image
// tells JPEG from PNG by content.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "core/error.h"
#include "data/jpeg.h"
#include "test_util/temp_dir.h"
#include "tests/data/image_tree_util.h"

using namespace hs;
using namespace hs::data;
using Catch::Contains;

namespace {

int max_difference(const Image& image, const std::vector<std::uint8_t>& colour) {
  const std::int64_t plane = image.height * image.width;
  int worst = 0;
  for (std::int64_t c = 0; c < image.channels; ++c)
    for (std::int64_t i = 0; i < plane; ++i)
      worst = std::max(worst, std::abs(image.pixels[c * plane + i] - int(colour[c])));
  return worst;
}

}  // namespace

TEST_CASE("a flat RGB JPEG decodes to its colour", "[data][jpeg]") {
  const std::vector<std::uint8_t> colour = {200, 40, 90};
  const std::vector<std::uint8_t> bytes = encode_jpeg(test::flat_image(3, 24, 40, colour), 95);
  const Image image = decode_jpeg(bytes.data(), bytes.size(), "flat.jpg");
  CHECK(image.channels == 3);
  CHECK(image.height == 24);
  CHECK(image.width == 40);
  REQUIRE(image.pixels.size() == 3u * 24 * 40);
  // YCbCr rounding and chroma subsampling move a flat colour by a few levels at most.
  CHECK(max_difference(image, colour) <= 3);
}

TEST_CASE("a gray JPEG stays one channel", "[data][jpeg]") {
  const std::vector<std::uint8_t> bytes = encode_jpeg(test::flat_image(1, 9, 7, {77}), 95);
  const Image image = decode_image(bytes.data(), bytes.size(), "gray.jpg");
  CHECK(image.channels == 1);
  CHECK(image.height == 9);
  CHECK(image.width == 7);
  CHECK(max_difference(image, {77}) <= 1);
}

TEST_CASE("the row and column order of a JPEG survive decoding", "[data][jpeg]") {
  // Left half dark, right half bright, on 16-pixel blocks so that JPEG's blocks do not blur
  // the edge.
  Image image = test::flat_image(1, 16, 32, {20});
  for (std::int64_t y = 0; y < 16; ++y)
    for (std::int64_t x = 16; x < 32; ++x) image.pixels[y * 32 + x] = 230;
  const std::vector<std::uint8_t> bytes = encode_jpeg(image, 100);
  const Image back = decode_jpeg(bytes.data(), bytes.size(), "halves.jpg");
  CHECK(std::abs(back.pixels[5 * 32 + 3] - 20) <= 4);
  CHECK(std::abs(back.pixels[5 * 32 + 28] - 230) <= 4);
}

TEST_CASE("decode_image reads PNGs exactly, by content", "[data][jpeg]") {
  test::TempDir dir("hsnet-test-decode-image-png");
  Image image = test::flat_image(3, 3, 2, {1, 2, 3});
  image.pixels[4] = 250;                             // channel 0 row 2 column 0
  test::write_png(dir.path() / "named.jpg", image);  // the name does not matter
  const Image back = read_image((dir.path() / "named.jpg").string());
  CHECK(back.channels == 3);
  CHECK(back.pixels == image.pixels);
}

TEST_CASE("corrupt, truncated and foreign data are errors naming the file", "[data][jpeg]") {
  std::vector<std::uint8_t> bytes = encode_jpeg(test::flat_image(3, 32, 32, {9, 99, 199}), 90);
  SECTION("truncated") {
    bytes.resize(bytes.size() / 2);
    REQUIRE_THROWS_WITH(decode_jpeg(bytes.data(), bytes.size(), "cut.jpg"),
                        Contains("cut.jpg") && Contains("not a valid JPEG"));
  }
  SECTION("a header with a zero width") {
    // The SOF0 marker's width field: marker ff c0, length (2), precision (1), height (2).
    std::size_t sof = 0;
    while (!(bytes[sof] == 0xff && bytes[sof + 1] == 0xc0)) ++sof;
    bytes[sof + 7] = 0;
    bytes[sof + 8] = 0;
    REQUIRE_THROWS_WITH(decode_jpeg(bytes.data(), bytes.size(), "zero.jpg"),
                        Contains("zero.jpg") && Contains("not a valid JPEG"));
  }
  SECTION("text") {
    const std::string text = "not an image";
    REQUIRE_THROWS_WITH(
        decode_image(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), "notes.txt"),
        Contains("notes.txt") && Contains("neither a JPEG nor a PNG"));
  }
  SECTION("empty") {
    REQUIRE_THROWS_WITH(decode_jpeg(bytes.data(), 0, "empty.jpg"), Contains("empty.jpg"));
  }
}

TEST_CASE("encode_jpeg refuses what JPEG cannot hold", "[data][jpeg]") {
  REQUIRE_THROWS_WITH(encode_jpeg(test::flat_image(2, 4, 4, {1, 2}), 90), Contains("2 channels"));
  REQUIRE_THROWS_WITH(encode_jpeg(test::flat_image(1, 4, 4, {1}), 0), Contains("quality 0"));
}
