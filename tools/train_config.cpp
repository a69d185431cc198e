#include "tools/train_config.h"

#include <algorithm>

#include "core/error.h"

namespace hs::tools {

namespace {

const std::vector<std::string> kKeys = {"model",
                                        "model_options",
                                        "dataset",
                                        "data",
                                        "epochs",
                                        "batch_size",
                                        "optimizer",
                                        "lr",
                                        "momentum",
                                        "nesterov",
                                        "weight_decay",
                                        "no_decay_bn_bias",
                                        "schedule",
                                        "warmup_epochs",
                                        "milestones",
                                        "gamma",
                                        "label_smoothing",
                                        "crop_padding",
                                        "flip",
                                        "seed",
                                        "threads",
                                        "loader_threads",
                                        "skip_bad_images",
                                        "device",
                                        "out",
                                        "limit_train",
                                        "limit_test",
                                        "stop_after_steps",
                                        "ranks",
                                        "sync_bn",
                                        "bucket_mb"};

template <class T>
void read(const nlohmann::json& j, const char* key, T& field) {
  if (!j.contains(key)) return;
  try {
    field = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    HS_FAIL("config: key '", key, "' has the wrong type: ", j.at(key).dump());
  }
}

}  // namespace

TrainConfig TrainConfig::from_json(const nlohmann::json& j) {
  HS_CHECK(j.is_object(), "config: expected a JSON object, got ", j.dump());
  for (const auto& [key, value] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) != kKeys.end()) continue;
    std::string valid;
    for (const auto& k : kKeys) valid += (valid.empty() ? "" : ", ") + k;
    HS_FAIL("config: unknown key '", key, "' (valid keys: ", valid, ")");
  }
  TrainConfig c;
  read(j, "model", c.model);
  if (j.contains("model_options")) {
    HS_CHECK(j["model_options"].is_object(), "config: key 'model_options' must be an object");
    c.model_options = j["model_options"];
  }
  read(j, "dataset", c.dataset);
  read(j, "data", c.data);
  read(j, "epochs", c.epochs);
  read(j, "batch_size", c.batch_size);
  read(j, "optimizer", c.optimizer);
  read(j, "lr", c.lr);
  read(j, "momentum", c.momentum);
  read(j, "nesterov", c.nesterov);
  read(j, "weight_decay", c.weight_decay);
  read(j, "no_decay_bn_bias", c.no_decay_bn_bias);
  read(j, "schedule", c.schedule);
  read(j, "warmup_epochs", c.warmup_epochs);
  read(j, "milestones", c.milestones);
  read(j, "gamma", c.gamma);
  read(j, "label_smoothing", c.label_smoothing);
  read(j, "crop_padding", c.crop_padding);
  read(j, "flip", c.flip);
  read(j, "seed", c.seed);
  read(j, "threads", c.threads);
  read(j, "loader_threads", c.loader_threads);
  read(j, "skip_bad_images", c.skip_bad_images);
  read(j, "device", c.device);
  read(j, "out", c.out);
  read(j, "limit_train", c.limit_train);
  read(j, "limit_test", c.limit_test);
  read(j, "stop_after_steps", c.stop_after_steps);
  read(j, "ranks", c.ranks);
  read(j, "sync_bn", c.sync_bn);
  read(j, "bucket_mb", c.bucket_mb);
  return c;
}

nlohmann::json TrainConfig::to_json() const {
  return {{"model", model},
          {"model_options", model_options},
          {"dataset", dataset},
          {"data", data},
          {"epochs", epochs},
          {"batch_size", batch_size},
          {"optimizer", optimizer},
          {"lr", lr},
          {"momentum", momentum},
          {"nesterov", nesterov},
          {"weight_decay", weight_decay},
          {"no_decay_bn_bias", no_decay_bn_bias},
          {"schedule", schedule},
          {"warmup_epochs", warmup_epochs},
          {"milestones", milestones},
          {"gamma", gamma},
          {"label_smoothing", label_smoothing},
          {"crop_padding", crop_padding},
          {"flip", flip},
          {"seed", seed},
          {"threads", threads},
          {"loader_threads", loader_threads},
          {"skip_bad_images", skip_bad_images},
          {"device", device},
          {"out", out},
          {"limit_train", limit_train},
          {"limit_test", limit_test},
          {"ranks", ranks},
          {"sync_bn", sync_bn},
          {"bucket_mb", bucket_mb}};
}

void TrainConfig::validate() const {
  HS_CHECK(epochs >= 1, "config: 'epochs' must be >= 1, got ", epochs);
  HS_CHECK(batch_size >= 1, "config: 'batch_size' must be >= 1, got ", batch_size);
  HS_CHECK(optimizer == "sgd" || optimizer == "adamw",
           "config: 'optimizer' must be sgd or adamw, got '", optimizer, "'");
  HS_CHECK(lr > 0, "config: 'lr' must be > 0, got ", lr);
  HS_CHECK(schedule == "constant" || schedule == "multistep" || schedule == "cosine",
           "config: 'schedule' must be constant, multistep or cosine, got '", schedule, "'");
  HS_CHECK(milestones.empty() || schedule == "multistep",
           "config: 'milestones' are for the multistep schedule only, not '", schedule, "'");
  for (std::int64_t m : milestones)
    HS_CHECK(m >= 1 && m <= epochs, "config: 'milestones' must be epochs in [1, ", epochs,
             "], got ", m);
  HS_CHECK(gamma > 0, "config: 'gamma' must be > 0, got ", gamma);
  HS_CHECK(warmup_epochs == 0 || schedule == "cosine",
           "config: 'warmup_epochs' is for the cosine schedule only, not '", schedule, "'");
  HS_CHECK(momentum >= 0, "config: 'momentum' must be >= 0, got ", momentum);
  HS_CHECK(weight_decay >= 0, "config: 'weight_decay' must be >= 0, got ", weight_decay);
  HS_CHECK(label_smoothing >= 0 && label_smoothing < 1,
           "config: 'label_smoothing' must be in [0, 1), got ", label_smoothing);
  HS_CHECK(warmup_epochs >= 0 && warmup_epochs < epochs,
           "config: 'warmup_epochs' must be in [0, epochs), got ", warmup_epochs);
  HS_CHECK(crop_padding >= -1, "config: 'crop_padding' must be >= 0 (or -1 for the default), got ",
           crop_padding);
  HS_CHECK(limit_train >= 0 && limit_test >= 0,
           "config: 'limit_train' and 'limit_test' must be >= 0");
  HS_CHECK(threads >= 0, "config: 'threads' must be >= 0, got ", threads);
  HS_CHECK(loader_threads >= 1, "config: 'loader_threads' must be >= 1, got ", loader_threads);
  HS_CHECK(stop_after_steps >= 0, "config: 'stop_after_steps' must be >= 0, got ",
           stop_after_steps);
  HS_CHECK(!out.empty(), "config: 'out' must name a directory");
  HS_CHECK(ranks >= 1, "config: 'ranks' must be >= 1, got ", ranks);
  HS_CHECK(bucket_mb > 0, "config: 'bucket_mb' must be > 0, got ", bucket_mb);
}

}  // namespace hs::tools
