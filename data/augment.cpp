#include "data/augment.h"

#include "core/error.h"

namespace hs::data {

void check_augment(const Augment& aug, const ImageDataset& ds, const std::string& context) {
  HS_CHECK(aug.pad >= 0, context, ": augmentation pad must be >= 0, got ", aug.pad);
  HS_CHECK(!aug.random_resized_crop || ds.on_disk(), context,
           ": random resized crops apply to on-disk datasets only, not to '", ds.name, "'");
  HS_CHECK(!ds.on_disk() || aug.pad == 0, context, ": on-disk dataset '", ds.name,
           "' is cropped by resizing, not padded (pad ", aug.pad, ")");
  HS_CHECK(aug.mean.size() == aug.std.size(), context, ": normalisation has ", aug.mean.size(),
           " means but ", aug.std.size(), " standard deviations");
  HS_CHECK(aug.mean.empty() || aug.mean.size() == static_cast<std::size_t>(ds.channels), context,
           ": normalisation has ", aug.mean.size(), " values per statistic but dataset '", ds.name,
           "' has ", ds.channels, " channel(s)");
  for (std::size_t c = 0; c < aug.std.size(); ++c)
    HS_CHECK(aug.std[c] > 0.0f, context, ": normalisation std of channel ", c, " must be > 0, got ",
             aug.std[c]);
}

void augment_image(const ImageDataset& ds, std::int64_t index, const Augment& aug, Generator& gen,
                   float* out) {
  const std::int64_t height = ds.height, width = ds.width, pad = aug.pad;
  // Output pixel (y, x) reads source pixel (y + dy, x + dx); the padded border reads 0.
  std::int64_t dy = 0, dx = 0;
  if (pad > 0) {
    dy = static_cast<std::int64_t>(gen.below(2 * pad + 1)) - pad;
    dx = static_cast<std::int64_t>(gen.below(2 * pad + 1)) - pad;
  }
  const bool mirrored = aug.flip && gen.uniform() < 0.5;

  const std::uint8_t* image = ds.image(index);
  for (std::int64_t c = 0; c < ds.channels; ++c) {
    // (x/255 - mean) / std folded into one multiply-add.
    const float std_c = aug.std.empty() ? 1.0f : aug.std[c];
    const float mean_c = aug.mean.empty() ? 0.0f : aug.mean[c];
    const float scale = 1.0f / (255.0f * std_c);
    const float shift = -mean_c / std_c;
    const std::uint8_t* plane = image + c * height * width;
    float* out_plane = out + c * height * width;
    for (std::int64_t y = 0; y < height; ++y) {
      const std::int64_t sy = y + dy;
      float* out_row = out_plane + y * width;
      if (sy < 0 || sy >= height) {
        for (std::int64_t x = 0; x < width; ++x) out_row[x] = shift;
        continue;
      }
      const std::uint8_t* row = plane + sy * width;
      for (std::int64_t x = 0; x < width; ++x) {
        const std::int64_t sx = x + dx;
        const float value = sx >= 0 && sx < width ? row[sx] * scale + shift : shift;
        out_row[mirrored ? width - 1 - x : x] = value;
      }
    }
  }
}

}  // namespace hs::data
