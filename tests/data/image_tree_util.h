#pragma once
// Writes small JPEG and PNG files and image-folder trees for the tests of data/: PNGs with
// libpng, JPEGs with libjpeg (through data::encode_jpeg).
#include <png.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/image_io.h"
#include "data/jpeg.h"

namespace hs::test {

// A channels x height x width image of one colour.
inline data::Image flat_image(std::int64_t channels, std::int64_t height, std::int64_t width,
                              std::vector<std::uint8_t> colour) {
  data::Image image{channels, height, width, {}};
  for (std::int64_t c = 0; c < channels; ++c)
    image.pixels.insert(image.pixels.end(), static_cast<std::size_t>(height * width), colour[c]);
  return image;
}

inline void write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

// An 8-bit gray or RGB PNG of `image`.
inline void write_png(const std::filesystem::path& path, const data::Image& image) {
  std::filesystem::create_directories(path.parent_path());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), 8,
               image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const std::int64_t plane = image.height * image.width;
  std::vector<std::uint8_t> row(static_cast<std::size_t>(image.channels * image.width));
  for (std::int64_t y = 0; y < image.height; ++y) {
    for (std::int64_t x = 0; x < image.width; ++x)
      for (std::int64_t c = 0; c < image.channels; ++c)
        row[x * image.channels + c] = image.pixels[c * plane + y * image.width + x];
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

inline void write_jpeg(const std::filesystem::path& path, const data::Image& image,
                       int quality = 95) {
  write_bytes(path, data::encode_jpeg(image, quality));
}

}  // namespace hs::test
