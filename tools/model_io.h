#pragma once
// What a checkpoint needs to rebuild its model and feed it: the model name and resolved
// options, the dataset and its normalisation. Stored as JSON under the "hsnet" key of the
// weights file's safetensors metadata, so a weights file is self-contained.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "models/resnet.h"

namespace hs::tools {

struct ModelMeta {
  std::string model;
  nlohmann::json options;  // registry options, in_channels and classes included
  std::string dataset;
  std::int64_t channels = 0, height = 0, width = 0;
  std::vector<float> mean, std;
  std::vector<std::string> class_names;

  nlohmann::json to_json() const;
  static ModelMeta from_json(const nlohmann::json& j, const std::string& context);
};

// The model `meta` describes, freshly initialised.
std::shared_ptr<models::ResNet> build_model(const ModelMeta& meta);

// Writes the model's weights with `meta` and any `extra` metadata (atomically).
void save_weights(const nn::Module& model, const ModelMeta& meta, const std::string& path,
                  std::map<std::string, std::string> extra = {});

struct LoadedModel {
  std::shared_ptr<models::ResNet> model;
  ModelMeta meta;
};
// Reads a weights file written by save_weights and rebuilds its model (an hs::Error naming
// the file when it is not an hsnet checkpoint).
LoadedModel load_model(const std::string& path);

}  // namespace hs::tools
