#pragma once
// Image files as the byte images the data layer holds: PNG decoding (from memory or a file)
// and the conversions that fit an image to a model's input (channels, size).
#include <cstdint>
#include <string>
#include <vector>

namespace hs::data {

// An 8-bit image: `channels` planes of height x width bytes (CHW), the layout of
// ImageDataset. Requires pixels.size() == channels*height*width.
struct Image {
  std::int64_t channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;
};

// Reads a PNG file of any colour type, bit depth and interlacing as 8-bit gray (1 channel)
// or RGB (3 channels): palettes are expanded, 1/2/4-bit gray widened, 16-bit samples scaled
// to 8 bits with rounding, and alpha dropped (the stored colour is kept). A missing file, a
// file that is not a PNG, or corrupt or truncated data is an hs::Error naming the file.
Image read_png(const std::string& path);

// The same decoding of a PNG file's `size` bytes held in memory; `name` stands for the file
// in error messages. Any bytes at all give an Image or an hs::Error, never a crash.
Image decode_png(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// `image` with `channels` channels: gray to RGB by replication, RGB to gray by the luminance
// 0.299 R + 0.587 G + 0.114 B (rounded). Requires image and target to have 1 or 3 channels.
Image convert_channels(const Image& image, std::int64_t channels);

// `image` resized to height x width by bilinear interpolation with pixel centres aligned
// (OpenCV's INTER_LINEAR, PyTorch's align_corners=false, no antialiasing), rounded to bytes.
// Requires height, width >= 1.
Image resize_bilinear(const Image& image, std::int64_t height, std::int64_t width);

}  // namespace hs::data
