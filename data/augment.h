#pragma once
// Per-sample augmentation applied while converting raw bytes to floats: random crop with
// zero padding, random horizontal flip, per-channel normalisation. The random choices come
// from a caller-supplied hs::Generator, so a seed fixes them.
#include <cstdint>
#include <string>
#include <vector>

#include "core/generator.h"
#include "data/dataset.h"

namespace hs::data {

// What to do to each image. pad > 0: pad every side with `pad` zero pixels, then crop back to
// height x width at a random offset. flip: mirror left-right with probability 0.5. mean/std:
// one value per channel, output (x/255 - mean_c) / std_c; empty means plain x/255.
// Zero padding means raw pixel value 0, normalised like any other pixel (as torchvision's
// RandomCrop on an image followed by Normalize). random_resized_crop: for on-disk datasets
// (see image_folder.h), torchvision's RandomResizedCrop instead of the evaluation's resize and
// centre crop; pad must then be 0.
struct Augment {
  std::int64_t pad = 0;
  bool flip = false;
  std::vector<float> mean{}, std{};
  bool random_resized_crop = false;
};

// Throws hs::Error, prefixed by `context`, unless `aug` suits `ds`: pad >= 0, and mean/std
// empty together or both holding one value per channel, with every std > 0.
void check_augment(const Augment& aug, const ImageDataset& ds, const std::string& context);

// Writes image `index` of ds, augmented, as channels*height*width floats (CHW) at `out`.
// Draws from `gen` in a fixed order: crop row and column offsets (when pad > 0), then the
// flip (when flip is set). Requires check_augment(aug, ds) to pass.
void augment_image(const ImageDataset& ds, std::int64_t index, const Augment& aug, Generator& gen,
                   float* out);

}  // namespace hs::data
