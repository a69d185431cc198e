#pragma once
// The geometry of torchvision's ImageNet transforms for images of any size decoded from
// files: RandomResizedCrop for training, Resize + CenterCrop for evaluation, and the one
// bilinear sampler that turns a decoded image into the normalised float input of a model.
#include <cstdint>
#include <vector>

#include "core/generator.h"
#include "data/image_io.h"

namespace hs::data {

// A rectangle of source pixels: rows [top, top+height), columns [left, left+width).
struct CropBox {
  std::int64_t top = 0, left = 0, height = 0, width = 0;
};

// torchvision's RandomResizedCrop.get_params with its defaults: up to 10 draws of an area
// fraction in [0.08, 1] and a log-uniform aspect ratio in [3/4, 4/3] (each draw: area, ratio,
// then the top and left offsets), falling back to the largest centred box of a ratio within
// bounds. Requires height, width >= 1.
CropBox random_resized_crop_box(std::int64_t height, std::int64_t width, Generator& gen);

// How one output axis reads the source: output index o samples source coordinate
// offset + (o + 0.5) * scale - 0.5, clamped to [low, high] (pixel centres aligned).
struct AxisSampling {
  double offset = 0, scale = 1;
  std::int64_t low = 0, high = 0;
};

// The sampling of a crop box resized to `size` (RandomResizedCrop's crop then resize).
AxisSampling crop_axis(std::int64_t start, std::int64_t length, std::int64_t size);

// torchvision's eval transform Resize(round(size / 0.875)) + CenterCrop(size) along one axis
// of `length` source pixels whose image has shorter side `shorter` (the 256/224 of ImageNet).
AxisSampling center_crop_axis(std::int64_t length, std::int64_t shorter, std::int64_t size);

// Writes image sampled bilinearly on rows/cols (out_height x out_width per channel, CHW
// floats at `out`), mirrored left-right when `mirrored`, as (x/255 - mean_c)/std_c (plain
// x/255 when mean and std are empty). Requires mean/std empty or of image.channels values.
void sample_normalised(const Image& image, const AxisSampling& rows, const AxisSampling& cols,
                       std::int64_t out_height, std::int64_t out_width, bool mirrored,
                       const std::vector<float>& mean, const std::vector<float>& std, float* out);

}  // namespace hs::data
