#pragma once
// The pieces of `hsnet predict`: reading PNG files into the byte images the data layer
// holds, fitting them to a checkpoint's input (channels, size), running a model over a set
// of images without recording a graph, ranking its classes, and writing per-image logits
// as CSV. Implemented in cmd_predict.cpp.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "nn/module.h"
#include "tools/model_io.h"

namespace hs::tools {

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

// `image` with `channels` channels: gray to RGB by replication, RGB to gray by the luminance
// 0.299 R + 0.587 G + 0.114 B (rounded). Requires image and target to have 1 or 3 channels.
Image convert_channels(const Image& image, std::int64_t channels);

// `image` resized to height x width by bilinear interpolation with pixel centres aligned
// (OpenCV's INTER_LINEAR, PyTorch's align_corners=false, no antialiasing), rounded to bytes.
// Requires height, width >= 1.
Image resize_bilinear(const Image& image, std::int64_t height, std::int64_t width);

// The images as the dataset the model of `meta` takes: each converted to meta.channels and
// resized to meta.height x meta.width when it differs; labels 0, class names from meta.
// Requires meta.channels to be 1 or 3 and every image to have 1 or 3 channels.
data::ImageDataset images_as_dataset(const std::vector<Image>& images, const ModelMeta& meta);

// Logits [ds.n, classes] (f32, CPU) of `model` in eval mode over every image of `ds`, in order,
// normalised with meta.mean/meta.std, in batches of batch_size on `device`, without recording
// a graph. The model's train/eval mode is restored afterwards.
Tensor dataset_logits(nn::Module& model, const ModelMeta& meta, const data::ImageDataset& ds,
                      std::int64_t batch_size, Device device);

// The k most probable classes of one row of logits, most probable first, with their softmax
// probabilities. k is capped at the number of classes; requires k >= 1.
std::vector<std::pair<std::int64_t, double>> top_classes(const float* logits, std::int64_t classes,
                                                         std::int64_t k);

// Writes `logits` [ds.n, classes] to `path` as CSV: a header "index,label,logit_0,...", then one
// row per image in dataset order, values with %.9g (exact for f32). Atomic: the text goes to a
// temporary file renamed over `path`; on failure `path` is left as it was and an hs::Error names
// it.
void write_logits_csv(const std::string& path, const data::ImageDataset& ds, const Tensor& logits);

}  // namespace hs::tools
