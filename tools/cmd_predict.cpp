// hsnet predict: the most probable classes of a checkpoint's model for JPEG or PNG images, or the
// logits of every image of a dataset's test split written as CSV (for cross-checks).
#include <cstdio>

#include "core/threads.h"
#include "data/datasets.h"
#include "data/image_io.h"
#include "data/jpeg.h"
#include "tools/commands.h"
#include "tools/logits_csv.h"
#include "tools/nonfinite.h"
#include "tools/predict.h"

namespace hs::tools {

namespace {

std::string class_name(const ModelMeta& meta, std::int64_t c) {
  return c < static_cast<std::int64_t>(meta.class_names.size()) ? meta.class_names[c]
                                                                : std::to_string(c);
}

// Logits holding NaN or infinity are no prediction: an error names the first image.
template <class NameOf>
void require_finite(const Tensor& logits, const std::string& checkpoint, NameOf name_of) {
  const NonfiniteRows bad = nonfinite_rows(logits);
  HS_CHECK(bad.count == 0, "predict: ", checkpoint, " gives NaN or infinite logits for ", bad.count,
           " of ", logits.size(0), " images (first: ", name_of(bad.first),
           "); the model's weights are not usable");
}

}  // namespace

Command add_predict(CLI::App& app) {
  struct Args {
    std::string checkpoint, dataset, data, logits, device = "cpu";
    std::vector<std::string> images;
    std::int64_t topk = 5, batch_size = 256, threads = 0, limit = 0;
    bool fold_bn = true;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--checkpoint", a->checkpoint, "weights file (e.g. runs/x/best.safetensors)")
      ->required();
  app.add_option("images", a->images, "JPEG or PNG files to classify");
  app.add_option("--topk", a->topk, "classes shown per image")->capture_default_str();
  app.add_option("--logits", a->logits,
                 "instead of images: write the logits of a dataset's test split to this CSV file");
  app.add_option("--dataset", a->dataset,
                 "with --logits: dataset (default: the one it was trained on)");
  app.add_option("--data", a->data, "with --logits: dataset directory");
  app.add_option("--limit", a->limit, "with --logits: use the first N test images");
  app.add_option("--batch-size", a->batch_size, "batch size")->capture_default_str();
  app.add_option("--threads", a->threads, "CPU threads (0: all cores)");
  app.add_option("--device", a->device, "cpu | cuda")->capture_default_str();
  app.add_flag("--fold-bn,!--no-fold-bn", a->fold_bn,
               "fold batch norms into the convolutions (default; exact to rounding)");
  return [a, &app]() {
    HS_CHECK(!a->images.empty() || !a->logits.empty(),
             "predict: nothing to do: give PNG files, or --logits OUT.csv for a dataset's logits");
    HS_CHECK(a->images.empty() || a->logits.empty(),
             "predict: give either PNG files or --logits, not both");
    if (!a->images.empty())
      for (const char* name : {"--dataset", "--data", "--limit"})
        HS_CHECK(app.count(name) == 0, "predict: ", name, " applies only with --logits");
    HS_CHECK(a->topk >= 1, "predict: --topk must be >= 1, got ", a->topk);
    HS_CHECK(a->limit >= 0, "predict: --limit must be >= 0, got ", a->limit);
    set_num_threads(static_cast<int>(a->threads));
    const Device device = parse_device(a->device);
    LoadedModel lm = load_model(a->checkpoint);
    lm.model->to(device);
    lm.model->eval();
    if (a->fold_bn) lm.model->fold_batch_norms();

    if (!a->logits.empty()) {
      const std::string dataset = a->dataset.empty() ? lm.meta.dataset : a->dataset;
      const std::string dir = a->data.empty() ? data::default_data_dir(dataset) : a->data;
      data::ImageDataset test = data::load_dataset(dataset, dir, false, lm.meta.height);
      if (a->limit > 0) test = data::subset(test, a->limit);
      HS_CHECK(test.channels == lm.meta.channels && test.height == lm.meta.height &&
                   test.width == lm.meta.width,
               "predict: ", dataset, " has images of ", test.channels, "x", test.height, "x",
               test.width, " but the checkpoint's model takes ", lm.meta.channels, "x",
               lm.meta.height, "x", lm.meta.width);
      const Tensor logits = dataset_logits(*lm.model, lm.meta, test, a->batch_size, device);
      require_finite(logits, a->checkpoint,
                     [&](std::int64_t i) { return "test image " + std::to_string(i); });
      write_logits_csv(a->logits, test, logits);
      std::printf("wrote the logits of %lld %s test images (%lld classes) to %s\n",
                  static_cast<long long>(test.n), dataset.c_str(),
                  static_cast<long long>(logits.size(1)), a->logits.c_str());
      return 0;
    }

    // A model trained on an image folder sees its evaluation crop; the others a plain resize.
    std::vector<data::Image> images;
    if (lm.meta.dataset != "folder")
      for (const std::string& path : a->images) images.push_back(data::read_image(path));
    const data::ImageDataset ds = lm.meta.dataset == "folder" ? files_as_dataset(a->images, lm.meta)
                                                              : images_as_dataset(images, lm.meta);
    const Tensor logits = dataset_logits(*lm.model, lm.meta, ds, a->batch_size, device);
    require_finite(logits, a->checkpoint, [&](std::int64_t i) { return a->images[i]; });
    const std::int64_t classes = logits.size(1);
    const float* p = logits.data<float>();
    for (std::int64_t i = 0; i < ds.n; ++i) {
      std::string line = a->images[i] + ":";
      const char* separator = " ";
      for (const auto& [c, prob] : top_classes(p + i * classes, classes, a->topk)) {
        char value[32];
        std::snprintf(value, sizeof value, " %.3f", prob);
        line += separator + class_name(lm.meta, c) + value;
        separator = ", ";
      }
      std::printf("%s\n", line.c_str());
    }
    return 0;
  };
}

}  // namespace hs::tools
