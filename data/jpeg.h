#pragma once
// JPEG decoding with libjpeg-turbo into the byte images of the data layer, and the one
// entry point that decodes a JPEG or PNG file by its content.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/image_io.h"

namespace hs::data {

// Decodes a baseline or progressive JPEG of `size` bytes as gray (1 channel) or RGB (3):
// YCbCr is converted to RGB, CMYK/YCCK (Adobe's inverted convention) to RGB. Corrupt or
// truncated data — which libjpeg reports only as a warning and fills with gray — is an
// hs::Error naming `name`, as PIL refuses truncated files. Any bytes at all give an Image or
// an hs::Error, never a crash.
Image decode_jpeg(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// `image` (1 or 3 channels) as a baseline JPEG of the given quality (1-100), for tests and
// benchmarks that need JPEG files.
std::vector<std::uint8_t> encode_jpeg(const Image& image, int quality);

// Decodes a JPEG or a PNG, told apart by their first bytes (not by the file's extension); any
// other content is an hs::Error naming `name`.
Image decode_image(const std::uint8_t* bytes, std::size_t size, const std::string& name);

// decode_image of the file at `path`; a file that cannot be read is an hs::Error naming it.
Image read_image(const std::string& path);

}  // namespace hs::data
