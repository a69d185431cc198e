#include "data/resized_crop.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace hs::data {

namespace {

// One output coordinate's two source neighbours and the weight of the second.
struct Tap {
  std::int64_t i0, i1;
  float w1;
};

std::vector<Tap> taps(const AxisSampling& s, std::int64_t n) {
  std::vector<Tap> out(static_cast<std::size_t>(n));
  for (std::int64_t o = 0; o < n; ++o) {
    const double at =
        std::clamp(s.offset + (o + 0.5) * s.scale - 0.5, double(s.low), double(s.high));
    const auto i0 = static_cast<std::int64_t>(std::floor(at));
    const std::int64_t i1 = std::min(i0 + 1, s.high);
    out[o] = {i0, i1, static_cast<float>(at - i0)};
  }
  return out;
}

}  // namespace

CropBox random_resized_crop_box(std::int64_t height, std::int64_t width, Generator& gen) {
  HS_CHECK(height >= 1 && width >= 1, "random_resized_crop_box: image of ", height, "x", width);
  const double area = static_cast<double>(height) * width;
  const double log_low = std::log(3.0 / 4.0), log_high = std::log(4.0 / 3.0);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * (0.08 + gen.uniform() * (1.0 - 0.08));
    const double ratio = std::exp(log_low + gen.uniform() * (log_high - log_low));
    const auto w = static_cast<std::int64_t>(std::lround(std::sqrt(target * ratio)));
    const auto h = static_cast<std::int64_t>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const auto top =
          static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(height - h + 1)));
      const auto left =
          static_cast<std::int64_t>(gen.below(static_cast<std::uint64_t>(width - w + 1)));
      return {top, left, h, w};
    }
  }
  const double in_ratio = static_cast<double>(width) / height;
  std::int64_t w = width, h = height;
  if (in_ratio < 3.0 / 4.0) {
    h = std::lround(width / (3.0 / 4.0));
  } else if (in_ratio > 4.0 / 3.0) {
    w = std::lround(height * (4.0 / 3.0));
  }
  h = std::clamp<std::int64_t>(h, 1, height);
  w = std::clamp<std::int64_t>(w, 1, width);
  return {(height - h) / 2, (width - w) / 2, h, w};
}

AxisSampling crop_axis(std::int64_t start, std::int64_t length, std::int64_t size) {
  return {static_cast<double>(start), static_cast<double>(length) / size, start,
          start + length - 1};
}

AxisSampling center_crop_axis(std::int64_t length, std::int64_t shorter, std::int64_t size) {
  // Resize: the shorter side becomes `resized`, this axis int(length * resized / shorter)
  // (torchvision truncates); CenterCrop: the window starts at round((resized_len - size) / 2).
  const auto resized = static_cast<std::int64_t>(std::lround(size / 0.875));
  const std::int64_t resized_len =
      length == shorter ? resized : static_cast<std::int64_t>(length * resized / shorter);
  const auto start = static_cast<double>(std::lround((resized_len - size) / 2.0));
  const double scale = static_cast<double>(length) / resized_len;
  return {start * scale, scale, 0, length - 1};
}

void sample_normalised(const Image& image, const AxisSampling& rows, const AxisSampling& cols,
                       std::int64_t out_height, std::int64_t out_width, bool mirrored,
                       const std::vector<float>& mean, const std::vector<float>& std, float* out) {
  HS_CHECK(mean.size() == std.size() &&
               (mean.empty() || mean.size() == static_cast<std::size_t>(image.channels)),
           "sample_normalised: ", mean.size(), " means and ", std.size(),
           " standard deviations for ", image.channels, " channels");
  const std::vector<Tap> ty = taps(rows, out_height), tx = taps(cols, out_width);
  const std::int64_t plane = image.height * image.width;
  for (std::int64_t c = 0; c < image.channels; ++c) {
    const float std_c = std.empty() ? 1.0f : std[c];
    const float scale = 1.0f / (255.0f * std_c);
    const float shift = (mean.empty() ? 0.0f : -mean[c]) / std_c;
    const std::uint8_t* src = image.pixels.data() + c * plane;
    float* dst = out + c * out_height * out_width;
    for (std::int64_t y = 0; y < out_height; ++y) {
      const std::uint8_t* r0 = src + ty[y].i0 * image.width;
      const std::uint8_t* r1 = src + ty[y].i1 * image.width;
      const float wy = ty[y].w1;
      float* row = dst + y * out_width;
      for (std::int64_t x = 0; x < out_width; ++x) {
        const Tap& t = tx[x];
        const float top = r0[t.i0] + t.w1 * (r0[t.i1] - r0[t.i0]);
        const float bottom = r1[t.i0] + t.w1 * (r1[t.i1] - r1[t.i0]);
        row[mirrored ? out_width - 1 - x : x] = (top + wy * (bottom - top)) * scale + shift;
      }
    }
  }
}

}  // namespace hs::data
