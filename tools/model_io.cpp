#include "tools/model_io.h"

#include "models/registry.h"
#include "nn/safetensors.h"

namespace hs::tools {

nlohmann::json ModelMeta::to_json() const {
  return {{"model", model},       {"options", options}, {"dataset", dataset},
          {"channels", channels}, {"height", height},   {"width", width},
          {"mean", mean},         {"std", std},         {"class_names", class_names}};
}

ModelMeta ModelMeta::from_json(const nlohmann::json& j, const std::string& context) {
  ModelMeta m;
  try {
    m.model = j.at("model").get<std::string>();
    m.options = j.at("options");
    m.dataset = j.at("dataset").get<std::string>();
    m.channels = j.at("channels").get<std::int64_t>();
    m.height = j.at("height").get<std::int64_t>();
    m.width = j.at("width").get<std::int64_t>();
    m.mean = j.at("mean").get<std::vector<float>>();
    m.std = j.at("std").get<std::vector<float>>();
    m.class_names = j.at("class_names").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    HS_FAIL(context, ": model description is incomplete or malformed (", e.what(), ")");
  }
  return m;
}

std::shared_ptr<models::ResNet> build_model(const ModelMeta& meta) {
  return models::create_model(meta.model, meta.options);
}

void save_weights(const nn::Module& model, const ModelMeta& meta, const std::string& path,
                  std::map<std::string, std::string> extra) {
  extra["hsnet"] = meta.to_json().dump();
  nn::write_safetensors(path, model.state_dict(), extra);
}

LoadedModel load_model(const std::string& path) {
  nn::SafetensorsFile file = nn::read_safetensors(path);
  auto it = file.metadata.find("hsnet");
  HS_CHECK(it != file.metadata.end(), path,
           ": not an hsnet checkpoint (no 'hsnet' model description in its metadata)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    HS_FAIL(path, ": model description is not valid JSON (", e.what(), ")");
  }
  LoadedModel out{nullptr, ModelMeta::from_json(j, path)};
  out.model = build_model(out.meta);
  try {
    out.model->load_state_dict(file.tensors);
  } catch (const Error& e) {
    HS_FAIL(path, ": ", e.what());
  }
  return out;
}

}  // namespace hs::tools
