#include "data/image_io.h"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.h"

namespace hs::data {

namespace {

// Larger decoded images are refused rather than allocated (a corrupt header can claim
// a million by a million pixels).
constexpr std::size_t kMaxDecodedBytes = std::size_t{1} << 28;

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  HS_CHECK(f.good(), "read_png: cannot open ", path, ": ", std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                  std::istreambuf_iterator<char>());
  HS_CHECK(!f.bad(), "read_png: error while reading ", path);
  return bytes;
}

// What libpng's callbacks share: the file's bytes, the read position, and the message of
// the error that ended decoding.
struct PngSource {
  const std::uint8_t* bytes;
  std::size_t size;
  std::size_t offset = 0;
  char error[256] = {};
};

// libpng requires its error handler not to return: it keeps the message and jumps back to
// the setjmp of the decoding phase under way. No C++ object with a destructor lives in the
// frames it skips.
[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->error, sizeof source->error, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (an odd colour profile, say) do not stop decoding and are not the user's concern.
void on_png_warning(png_structp, png_const_charp) {}

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->size - source->offset < length) png_error(png, "file is truncated");
  std::memcpy(out, source->bytes + source->offset, length);
  source->offset += length;
}

struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  std::size_t row_bytes = 0;
};

// Reads the header and asks libpng for 8-bit gray or RGB rows; false when libpng failed.
// Only trivially destructible locals here and in read_rows, so longjmp skips no destructor.
bool read_header(png_structp png, png_infop info, PngLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->width = png_get_image_width(png, info);
  layout->height = png_get_image_height(png, info);
  layout->channels = png_get_channels(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// Frees libpng's decoder state however read_png ends.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

}  // namespace

Image decode_png(const std::uint8_t* bytes, std::size_t size, const std::string& path) {
  HS_CHECK(size >= 8 && png_sig_cmp(bytes, 0, 8) == 0, "decode_png: ", path, " is not a PNG file");
  PngSource source{bytes, size};
  PngReader reader;
  reader.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_png_error, on_png_warning);
  HS_CHECK(reader.png != nullptr, "decode_png: libpng cannot start decoding ", path);
  reader.info = png_create_info_struct(reader.png);
  HS_CHECK(reader.info != nullptr, "decode_png: libpng cannot start decoding ", path);
  png_set_read_fn(reader.png, &source, read_from_memory);

  PngLayout layout;
  HS_CHECK(read_header(reader.png, reader.info, &layout), "decode_png: ", path, ": corrupt PNG (",
           source.error, ")");
  HS_CHECK(layout.channels == 1 || layout.channels == 3, "decode_png: ", path,
           ": unexpected PNG layout (", layout.channels, " channels after conversion)");
  HS_CHECK(layout.row_bytes == std::size_t{layout.width} * layout.channels, "decode_png: ", path,
           ": unexpected PNG layout (", layout.row_bytes, " bytes per row)");
  HS_CHECK(layout.row_bytes * layout.height <= kMaxDecodedBytes, "decode_png: ", path,
           ": image of ", layout.width, "x", layout.height, " pixels is too large");
  std::vector<std::uint8_t> interleaved(layout.row_bytes * layout.height);
  std::vector<png_bytep> rows(layout.height);
  for (png_uint_32 y = 0; y < layout.height; ++y)
    rows[y] = interleaved.data() + y * layout.row_bytes;
  HS_CHECK(read_rows(reader.png, rows.data()), "decode_png: ", path, ": corrupt PNG (",
           source.error, ")");

  Image image{layout.channels, layout.height, layout.width, {}};
  const std::int64_t plane = image.height * image.width;
  image.pixels.resize(interleaved.size());
  for (std::int64_t p = 0; p < plane; ++p)
    for (std::int64_t c = 0; c < image.channels; ++c)
      image.pixels[c * plane + p] = interleaved[p * image.channels + c];
  return image;
}

Image convert_channels(const Image& image, std::int64_t channels) {
  HS_CHECK((image.channels == 1 || image.channels == 3) && (channels == 1 || channels == 3),
           "convert_channels: converts between 1 and 3 channels, got ", image.channels, " to ",
           channels);
  if (image.channels == channels) return image;
  const std::int64_t plane = image.height * image.width;
  Image out{channels, image.height, image.width, std::vector<std::uint8_t>(channels * plane)};
  if (channels == 3) {
    for (std::int64_t c = 0; c < 3; ++c)
      std::copy(image.pixels.begin(), image.pixels.end(), out.pixels.begin() + c * plane);
    return out;
  }
  const std::uint8_t* r = image.pixels.data();
  const std::uint8_t* g = r + plane;
  const std::uint8_t* b = g + plane;
  for (std::int64_t p = 0; p < plane; ++p)
    out.pixels[p] =
        static_cast<std::uint8_t>(std::lround(0.299 * r[p] + 0.587 * g[p] + 0.114 * b[p]));
  return out;
}

Image resize_bilinear(const Image& image, std::int64_t height, std::int64_t width) {
  HS_CHECK(height >= 1 && width >= 1, "resize_bilinear: target size must be positive, got ", height,
           "x", width);
  // Source coordinate of each output row/column: (o + 0.5)·in/out − 0.5, clamped to the image.
  struct Tap {
    std::int64_t lo, hi;
    double w;
  };
  auto taps = [](std::int64_t in, std::int64_t out) {
    std::vector<Tap> t(out);
    const double scale = static_cast<double>(in) / out;
    for (std::int64_t o = 0; o < out; ++o) {
      const double src = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const auto lo = static_cast<std::int64_t>(src);
      t[o] = {lo, std::min(lo + 1, in - 1), src - lo};
    }
    return t;
  };
  const std::vector<Tap> ys = taps(image.height, height), xs = taps(image.width, width);
  Image out{image.channels, height, width,
            std::vector<std::uint8_t>(image.channels * height * width)};
  for (std::int64_t c = 0; c < image.channels; ++c) {
    const std::uint8_t* src = image.pixels.data() + c * image.height * image.width;
    std::uint8_t* dst = out.pixels.data() + c * height * width;
    for (std::int64_t y = 0; y < height; ++y) {
      const std::uint8_t* top = src + ys[y].lo * image.width;
      const std::uint8_t* bottom = src + ys[y].hi * image.width;
      for (std::int64_t x = 0; x < width; ++x) {
        const Tap& t = xs[x];
        const double upper = top[t.lo] + t.w * (top[t.hi] - top[t.lo]);
        const double lower = bottom[t.lo] + t.w * (bottom[t.hi] - bottom[t.lo]);
        dst[y * width + x] =
            static_cast<std::uint8_t>(std::lround(upper + ys[y].w * (lower - upper)));
      }
    }
  }
  return out;
}

Image read_png(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  return decode_png(bytes.data(), bytes.size(), path);
}

}  // namespace hs::data
