#include "data/dataset.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"

namespace hs::data {

void check_consistent(const ImageDataset& ds, const std::string& context) {
  HS_CHECK(ds.n >= 0 && ds.channels > 0 && ds.height > 0 && ds.width > 0, context, ": dataset '",
           ds.name, "' has invalid dimensions n=", ds.n, " channels=", ds.channels,
           " height=", ds.height, " width=", ds.width);
  HS_CHECK(
      ds.files.empty() || (ds.files.size() == static_cast<std::size_t>(ds.n) && ds.pixels.empty()),
      context, ": on-disk dataset '", ds.name, "' lists ", ds.files.size(), " files for ", ds.n,
      " images and holds ", ds.pixels.size(), " pixel bytes");
  const auto expected_pixels = ds.on_disk() ? 0 : static_cast<std::size_t>(ds.n * ds.image_size());
  HS_CHECK(ds.pixels.size() == expected_pixels, context, ": dataset '", ds.name, "' holds ",
           ds.pixels.size(), " pixel bytes but ", ds.n, " images of ", ds.channels, "x", ds.height,
           "x", ds.width, " need ", expected_pixels);
  HS_CHECK(ds.labels.size() == static_cast<std::size_t>(ds.n), context, ": dataset '", ds.name,
           "' holds ", ds.labels.size(), " labels for ", ds.n, " images");
  HS_CHECK(ds.class_names.size() == static_cast<std::size_t>(ds.num_classes), context,
           ": dataset '", ds.name, "' has ", ds.num_classes, " classes but ", ds.class_names.size(),
           " class names");
  for (std::size_t i = 0; i < ds.labels.size(); ++i)
    HS_CHECK(ds.labels[i] >= 0 && ds.labels[i] < ds.num_classes, context, ": dataset '", ds.name,
             "': label ", ds.labels[i], " of image ", i, " is out of range [0, ", ds.num_classes,
             ")");
}

ImageDataset subset(const ImageDataset& ds, std::int64_t limit) {
  HS_CHECK(limit >= 0, "subset: limit must be >= 0, got ", limit);
  ImageDataset out;
  out.n = std::min(limit, ds.n);
  out.channels = ds.channels;
  out.height = ds.height;
  out.width = ds.width;
  if (ds.on_disk())
    out.files.assign(ds.files.begin(), ds.files.begin() + out.n);
  else
    out.pixels.assign(ds.pixels.begin(), ds.pixels.begin() + out.n * ds.image_size());
  out.labels.assign(ds.labels.begin(), ds.labels.begin() + out.n);
  out.num_classes = ds.num_classes;
  out.class_names = ds.class_names;
  out.name = ds.name;
  return out;
}

ChannelStats channel_stats(const ImageDataset& ds) {
  HS_CHECK(ds.n > 0, "channel_stats: dataset '", ds.name, "' is empty");
  HS_CHECK(!ds.on_disk(), "channel_stats: dataset '", ds.name,
           "' is on disk: its statistics are not computed");
  const std::int64_t plane = ds.height * ds.width;
  ChannelStats stats;
  for (std::int64_t c = 0; c < ds.channels; ++c) {
    std::array<std::int64_t, 256> count{};
    for (std::int64_t i = 0; i < ds.n; ++i) {
      const std::uint8_t* p = ds.image(i) + c * plane;
      for (std::int64_t k = 0; k < plane; ++k) ++count[p[k]];
    }
    const double total = static_cast<double>(ds.n * plane);
    double mean = 0.0;
    for (int v = 0; v < 256; ++v) mean += count[v] * (v / 255.0);
    mean /= total;
    double variance = 0.0;
    for (int v = 0; v < 256; ++v) variance += count[v] * std::pow(v / 255.0 - mean, 2);
    variance /= total;
    stats.mean.push_back(static_cast<float>(mean));
    stats.std.push_back(static_cast<float>(std::sqrt(variance)));
  }
  return stats;
}

}  // namespace hs::data
