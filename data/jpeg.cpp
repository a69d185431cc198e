#include "data/jpeg.h"

// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on

#include <csetjmp>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
#include "data/file_bytes.h"

namespace hs::data {

namespace {

// Larger decoded images are refused rather than allocated, as for PNG.
constexpr std::size_t kMaxDecodedBytes = std::size_t{1} << 28;

// libjpeg's error manager extended with where to jump back to and the first message.
struct JpegErrors {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = {};
  bool corrupt = false;
};

[[noreturn]] void on_jpeg_error(j_common_ptr info) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  (*info->err->format_message)(info, errors->message);
  std::longjmp(errors->jump, 1);
}

// Level -1 is a warning about corrupt data (a truncated file among them); the higher levels
// are trace messages.
void on_jpeg_message(j_common_ptr info, int level) {
  auto* errors = reinterpret_cast<JpegErrors*>(info->err);
  if (level >= 0 || errors->corrupt) return;
  errors->corrupt = true;
  (*info->err->format_message)(info, errors->message);
}

// Planar CHW bytes from libjpeg's interleaved rows; CMYK as stored by Adobe (inverted), where
// R = C * K / 255 and so on.
void to_planes(const std::uint8_t* row, int components, bool cmyk, std::int64_t y, Image& image) {
  const std::int64_t plane = image.height * image.width;
  for (std::int64_t x = 0; x < image.width; ++x) {
    const std::uint8_t* p = row + x * components;
    for (std::int64_t c = 0; c < image.channels; ++c) {
      const int value = cmyk ? (p[c] * p[3] + 127) / 255 : p[c];
      image.pixels[c * plane + y * image.width + x] = static_cast<std::uint8_t>(value);
    }
  }
}

// The decoding proper, between setjmp and the end: only trivially destructible locals, so the
// longjmp of on_jpeg_error skips no destructor. False when libjpeg failed.
bool decode(jpeg_decompress_struct* info, JpegErrors* errors, const std::uint8_t* bytes,
            std::size_t size, Image* image, std::uint8_t** row) {
  if (setjmp(errors->jump)) return false;
  jpeg_create_decompress(info);
  jpeg_mem_src(info, bytes, static_cast<unsigned long>(size));
  jpeg_read_header(info, TRUE);
  const bool gray = info->jpeg_color_space == JCS_GRAYSCALE;
  const bool cmyk = info->jpeg_color_space == JCS_CMYK || info->jpeg_color_space == JCS_YCCK;
  info->out_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(info);
  image->channels = gray ? 1 : 3;
  image->height = info->output_height;
  image->width = info->output_width;
  const std::size_t total = static_cast<std::size_t>(image->channels) * info->output_height *
                            static_cast<std::size_t>(info->output_width);
  if (total > kMaxDecodedBytes) {
    std::snprintf(errors->message, sizeof errors->message, "%ux%u pixels exceed the limit",
                  info->output_width, info->output_height);
    return false;
  }
  image->pixels.resize(total);
  const int components = info->output_components;
  *row = static_cast<std::uint8_t*>(
      std::malloc(static_cast<std::size_t>(components) * info->output_width));
  if (*row == nullptr) return false;
  while (info->output_scanline < info->output_height) {
    const std::int64_t y = info->output_scanline;
    JSAMPROW rows[1] = {*row};
    jpeg_read_scanlines(info, rows, 1);
    to_planes(*row, components, cmyk, y, *image);
  }
  jpeg_finish_decompress(info);
  return true;
}

}  // namespace

Image decode_jpeg(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  HS_CHECK(size > 0, "decode_jpeg: ", name, " is empty");
  jpeg_decompress_struct info{};
  JpegErrors errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  errors.base.emit_message = on_jpeg_message;
  Image image;
  std::uint8_t* row = nullptr;
  const bool ok = decode(&info, &errors, bytes, size, &image, &row);
  std::free(row);
  jpeg_destroy_decompress(&info);
  HS_CHECK(ok && !errors.corrupt, "decode_jpeg: ", name,
           " is not a valid JPEG: ", errors.message[0] ? errors.message : "out of memory");
  return image;
}

std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality) {
  HS_CHECK(image.channels == 1 || image.channels == 3, "encode_jpeg: ", image.channels,
           " channels (1 or 3 expected)");
  HS_CHECK(quality >= 1 && quality <= 100, "encode_jpeg: quality ", quality, " outside 1-100");
  HS_CHECK(image.height >= 1 && image.width >= 1, "encode_jpeg: empty image");
  jpeg_compress_struct info{};
  JpegErrors errors{};
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_jpeg_error;
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  std::vector<std::uint8_t> row(static_cast<std::size_t>(image.channels * image.width));
  const std::int64_t plane = image.height * image.width;
  // Only valid images reach libjpeg here, so an error is a bug or out of memory.
  if (setjmp(errors.jump)) {
    jpeg_destroy_compress(&info);
    std::free(buffer);
    HS_FAIL("encode_jpeg: ", errors.message);
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &buffer, &size);
  info.image_width = static_cast<JDIMENSION>(image.width);
  info.image_height = static_cast<JDIMENSION>(image.height);
  info.input_components = static_cast<int>(image.channels);
  info.in_color_space = image.channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    const std::int64_t y = info.next_scanline;
    for (std::int64_t x = 0; x < image.width; ++x)
      for (std::int64_t c = 0; c < image.channels; ++c)
        row[x * image.channels + c] = image.pixels[c * plane + y * image.width + x];
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&info, rows, 1);
  }
  jpeg_finish_compress(&info);
  std::vector<std::uint8_t> bytes(buffer, buffer + size);
  jpeg_destroy_compress(&info);
  std::free(buffer);
  return bytes;
}

Image decode_image(const std::uint8_t* bytes, std::size_t size, const std::string& name) {
  static const std::uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff)
    return decode_jpeg(bytes, size, name);
  if (size >= 8 && std::memcmp(bytes, png_signature, 8) == 0) return decode_png(bytes, size, name);
  HS_FAIL("decode_image: ", name, " is neither a JPEG nor a PNG image");
}

Image read_image(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path, "read_image");
  return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace hs::data
