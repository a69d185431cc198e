#pragma once
// ImageDataset: a labelled image set held as raw bytes (NCHW, one byte per channel value),
// the form every reader in data/ produces. Keeping bytes rather than floats makes the
// 60,000 Fashion-MNIST training images 47 MB instead of 188 MB; the Loader converts (and
// augments) one batch at a time.
#include <cstdint>
#include <string>
#include <vector>

namespace hs::data {

// n images of channels x height x width bytes each, with a class label per image.
// Requires pixels.size() == n*channels*height*width, labels.size() == n, labels in
// [0, num_classes) and class_names.size() == num_classes (check_consistent verifies this).
// An on-disk dataset (an image folder) holds file paths instead of pixels: files.size() == n,
// pixels empty, and channels x height x width is the size the Loader decodes each file to.
struct ImageDataset {
  std::int64_t n = 0, channels = 0, height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  // NCHW
  std::vector<std::int64_t> labels;
  std::int64_t num_classes = 0;
  std::vector<std::string> class_names;
  std::string name;  // e.g. "cifar10": the key of load_dataset and known_channel_stats
  std::vector<std::string> files;  // on-disk datasets only: image i is decoded from files[i]

  bool on_disk() const { return !files.empty(); }

  std::int64_t image_size() const { return channels * height * width; }
  const std::uint8_t* image(std::int64_t index) const {
    return pixels.data() + index * image_size();
  }
};

// Throws hs::Error, prefixed by `context`, when the fields of `ds` disagree (buffer sizes,
// a label outside [0, num_classes), the number of class names).
void check_consistent(const ImageDataset& ds, const std::string& context);

// The first min(limit, ds.n) images of ds, for quick runs (--limit-train/--limit-test).
// Requires limit >= 0.
ImageDataset subset(const ImageDataset& ds, std::int64_t limit);

// Per-channel mean and standard deviation of the pixel values scaled to [0, 1].
// One entry per channel; the form Augment takes for normalisation.
struct ChannelStats {
  std::vector<float> mean, std;
};

// Mean and (population) standard deviation of x/255 per channel over every pixel of ds,
// computed exactly from byte histograms. Requires a non-empty dataset held in memory.
ChannelStats channel_stats(const ImageDataset& ds);

}  // namespace hs::data
