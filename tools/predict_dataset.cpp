#include <algorithm>
#include <cmath>

#include "autograd/grad_mode.h"
#include "data/loader.h"
#include "tools/predict.h"

namespace hs::tools {

data::ImageDataset images_as_dataset(const std::vector<data::Image>& images,
                                     const ModelMeta& meta) {
  HS_CHECK(meta.channels == 1 || meta.channels == 3, "predict: the model takes ", meta.channels,
           "-channel input; PNG images can be fed only to 1- or 3-channel models");
  data::ImageDataset ds;
  ds.n = static_cast<std::int64_t>(images.size());
  ds.channels = meta.channels;
  ds.height = meta.height;
  ds.width = meta.width;
  ds.pixels.reserve(ds.n * ds.image_size());
  for (const data::Image& image : images) {
    data::Image fitted = data::convert_channels(image, meta.channels);
    if (fitted.height != meta.height || fitted.width != meta.width)
      fitted = data::resize_bilinear(fitted, meta.height, meta.width);
    ds.pixels.insert(ds.pixels.end(), fitted.pixels.begin(), fitted.pixels.end());
  }
  // The images carry no labels: one placeholder class keeps the dataset consistent.
  ds.labels.assign(ds.n, 0);
  ds.num_classes = 1;
  ds.class_names = {"unlabelled"};
  ds.name = "images";
  return ds;
}

data::ImageDataset files_as_dataset(const std::vector<std::string>& paths, const ModelMeta& meta) {
  data::ImageDataset ds;
  ds.n = static_cast<std::int64_t>(paths.size());
  ds.channels = meta.channels;
  ds.height = meta.height;
  ds.width = meta.width;
  ds.files = paths;
  ds.labels.assign(ds.n, 0);
  ds.num_classes = 1;
  ds.class_names = {"unlabelled"};
  ds.name = "images";
  return ds;
}

Tensor dataset_logits(nn::Module& model, const ModelMeta& meta, const data::ImageDataset& ds,
                      std::int64_t batch_size, Device device) {
  HS_CHECK(ds.n > 0, "predict: no images to run the model on");
  HS_CHECK(batch_size >= 1, "predict: batch size must be >= 1, got ", batch_size);
  data::LoaderOptions opts;
  opts.batch_size = batch_size;
  opts.shuffle = false;
  opts.augment.mean = meta.mean;
  opts.augment.std = meta.std;
  data::Loader loader(ds, opts);
  loader.start_epoch(0);

  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<float> values;
  std::int64_t classes = 0;
  data::Batch batch;
  while (loader.next(batch)) {
    const Tensor logits = model(Variable(batch.images.to(device)))
                              .data()
                              .to(Device::cpu())
                              .to(DType::f32)
                              .contiguous();
    classes = logits.size(1);
    const float* p = logits.data<float>();
    values.insert(values.end(), p, p + logits.numel());
  }
  model.train(was_training);
  return from_vector(values, {ds.n, classes});
}

std::vector<std::pair<std::int64_t, double>> top_classes(const float* logits, std::int64_t classes,
                                                         std::int64_t k) {
  HS_CHECK(k >= 1, "predict: --topk must be >= 1, got ", k);
  k = std::min(k, classes);
  const double max_logit = *std::max_element(logits, logits + classes);
  double total = 0;
  for (std::int64_t c = 0; c < classes; ++c) total += std::exp(logits[c] - max_logit);
  std::vector<std::int64_t> order(classes);
  for (std::int64_t c = 0; c < classes; ++c) order[c] = c;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](std::int64_t a, std::int64_t b) {
                      return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
                    });
  std::vector<std::pair<std::int64_t, double>> top(k);
  for (std::int64_t i = 0; i < k; ++i)
    top[i] = {order[i], std::exp(logits[order[i]] - max_logit) / total};
  return top;
}

}  // namespace hs::tools
