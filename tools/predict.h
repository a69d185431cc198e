#pragma once
// The pieces of `hsnet predict` between image files and the printed classes: fitting images
// to a checkpoint's input, running a model over a set of images without recording a graph,
// and ranking its classes. Implemented in predict_dataset.cpp.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/tensor.h"
#include "data/dataset.h"
#include "data/image_io.h"
#include "nn/module.h"
#include "tools/model_io.h"

namespace hs::tools {

// The images as the dataset the model of `meta` takes: each converted to meta.channels and
// resized to meta.height x meta.width when it differs; labels 0, class names from meta.
// Requires meta.channels to be 1 or 3 and every image to have 1 or 3 channels.
data::ImageDataset images_as_dataset(const std::vector<data::Image>& images, const ModelMeta& meta);

// The image files as an on-disk dataset for a model trained on an image folder: the Loader
// decodes them and applies the evaluation's resize and centre crop, as in training.
data::ImageDataset files_as_dataset(const std::vector<std::string>& paths, const ModelMeta& meta);

// Logits [ds.n, classes] (f32, CPU) of `model` in eval mode over every image of `ds`, in order,
// normalised with meta.mean/meta.std, in batches of batch_size on `device`, without recording
// a graph. The model's train/eval mode is restored afterwards.
Tensor dataset_logits(nn::Module& model, const ModelMeta& meta, const data::ImageDataset& ds,
                      std::int64_t batch_size, Device device);

// The k most probable classes of one row of logits, most probable first, with their softmax
// probabilities. k is capped at the number of classes; requires k >= 1.
std::vector<std::pair<std::int64_t, double>> top_classes(const float* logits, std::int64_t classes,
                                                         std::int64_t k);

}  // namespace hs::tools
