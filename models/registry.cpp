#include "models/registry.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "models/res2net.h"
#include "models/sknet.h"

namespace hs::models {

namespace {

struct Entry {
  std::vector<std::string> options;
  ModelOptions defaults;
  std::function<std::shared_ptr<ResNet>(const ModelOptions&)> build;
};

const std::vector<std::string> kHsCifarOptions = {"s",     "w0",      "ratio",      "carry_leading",
                                                  "split", "classes", "in_channels"};
const std::vector<std::string> kHsImagenetOptions = {
    "s",          "ratio",   "carry_leading", "split", "downsample_block",
    "base_width", "classes", "in_channels"};
const std::vector<std::string> kPlainOptions = {"classes", "in_channels"};
const std::vector<std::string> kSplitCifarOptions = {"s", "w0", "classes", "in_channels"};

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> entries = [] {
    std::map<std::string, Entry> m;
    for (int depth : {29, 56, 110, 164})
      m["hs_resnet" + std::to_string(depth) + "_cifar"] = {
          kHsCifarOptions, ModelOptions{},
          [depth](const ModelOptions& o) { return hs_resnet_cifar(depth, o); }};
    ModelOptions imagenet;
    imagenet.classes = 1000;
    imagenet.s = 8;
    for (int depth : {50, 101, 152})
      m["hs_resnet" + std::to_string(depth)] = {
          kHsImagenetOptions, imagenet,
          [depth](const ModelOptions& o) { return hs_resnet_imagenet(depth, o); }};
    for (int depth : {20, 32, 44, 56, 110})
      m["resnet" + std::to_string(depth) + "_cifar"] = {
          kPlainOptions, ModelOptions{},
          [depth](const ModelOptions& o) { return resnet_cifar(depth, o); }};
    m["resnet50"] = {kPlainOptions, imagenet, [](const ModelOptions& o) { return resnet50(o); }};
    for (int depth : {29, 56, 110, 164})
      m["res2net" + std::to_string(depth) + "_cifar"] = {
          kSplitCifarOptions, ModelOptions{},
          [depth](const ModelOptions& o) { return res2net_cifar(depth, o); }};
    // The released Res2Net ImageNet models: depth, width per split, scale, cardinality.
    struct Res2NetPreset {
      const char* name;
      int depth;
      std::int64_t width, scale, cardinality;
    };
    for (const Res2NetPreset& p : {Res2NetPreset{"res2net50_26w_4s", 50, 26, 4, 1},
                                   Res2NetPreset{"res2net50_26w_6s", 50, 26, 6, 1},
                                   Res2NetPreset{"res2net50_26w_8s", 50, 26, 8, 1},
                                   Res2NetPreset{"res2net50_48w_2s", 50, 48, 2, 1},
                                   Res2NetPreset{"res2net50_14w_8s", 50, 14, 8, 1},
                                   Res2NetPreset{"res2net101_26w_4s", 101, 26, 4, 1},
                                   Res2NetPreset{"res2next50", 50, 4, 4, 8}})
      m[p.name] = {kPlainOptions, imagenet, [p](const ModelOptions& o) {
                     return res2net_imagenet(p.depth, p.width, p.scale, p.cardinality, o);
                   }};
    for (int depth : {29, 56, 110, 164})
      m["skresnet" + std::to_string(depth) + "_cifar"] = {
          kSplitCifarOptions, ModelOptions{},
          [depth](const ModelOptions& o) { return skresnet_cifar(depth, o); }};
    m["skresnext50_32x4d"] = {kPlainOptions, imagenet,
                              [](const ModelOptions& o) { return skresnext50_32x4d(o); }};
    m["res2next29_6c24w4s"] = {kPlainOptions, ModelOptions{},
                               [](const ModelOptions& o) { return res2next29_cifar(6, 24, 4, o); }};
    return m;
  }();
  return entries;
}

std::string joined(const std::vector<std::string>& items) {
  std::ostringstream os;
  for (std::size_t i = 0; i < items.size(); ++i) os << (i ? ", " : "") << items[i];
  return os.str();
}

const Entry& find_entry(const std::string& name) {
  auto it = registry().find(name);
  HS_CHECK(it != registry().end(), "model: unknown model '", name,
           "' (valid: ", joined(model_names()), ")");
  return it->second;
}

std::int64_t get_int(const nlohmann::json& v, const std::string& key, std::int64_t min) {
  HS_CHECK(v.is_number_integer(), "model: option '", key, "' must be an integer, got ", v.dump());
  const std::int64_t x = v.get<std::int64_t>();
  HS_CHECK(x >= min, "model: option '", key, "' must be >= ", min, ", got ", x);
  return x;
}

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : registry()) names.push_back(name);
  return names;
}

std::vector<std::string> model_option_names(const std::string& name) {
  return find_entry(name).options;
}

std::int64_t model_input_size(const std::string& name) {
  // The ImageNet entries are the ones whose defaults have ImageNet's 1000 classes.
  return find_entry(name).defaults.classes == 1000 ? 224 : 32;
}

std::shared_ptr<ResNet> create_model(const std::string& name, const nlohmann::json& options) {
  const Entry& entry = find_entry(name);
  HS_CHECK(options.is_object() || options.is_null(), "model: options must be a JSON object, got ",
           options.dump());
  ModelOptions o = entry.defaults;
  for (const auto& [key, v] : options.items()) {
    HS_CHECK(std::find(entry.options.begin(), entry.options.end(), key) != entry.options.end(),
             "model: unknown option '", key, "' for ", name, " (valid: ", joined(entry.options),
             ")");
    if (key == "s")
      o.s = get_int(v, key, 2);
    else if (key == "w0")
      o.w0 = get_int(v, key, 1);
    else if (key == "classes")
      o.classes = get_int(v, key, 1);
    else if (key == "in_channels")
      o.in_channels = get_int(v, key, 1);
    else if (key == "base_width")
      o.base_width = get_int(v, key, 1);
    else if (key == "ratio") {
      HS_CHECK(v.is_number(), "model: option 'ratio' must be a number, got ", v.dump());
      o.ratio = v.get<double>();
    } else if (key == "carry_leading") {
      HS_CHECK(v.is_boolean(), "model: option 'carry_leading' must be true or false, got ",
               v.dump());
      o.carry_leading = v.get<bool>();
    } else if (key == "split") {
      HS_CHECK(v.is_array() && v.size() >= 2,
               "model: option 'split' must be a list of at least 2 proportions, got ", v.dump());
      for (const auto& p : v) {
        HS_CHECK(p.is_number() && p.get<double>() > 0,
                 "model: option 'split' must hold numbers > 0, got ", v.dump());
        o.split.push_back(p.get<double>());
      }
    } else if (key == "downsample_block") {
      HS_CHECK(v.is_string() && (v == "stage" || v == "plain"),
               "model: option 'downsample_block' must be \"stage\" or \"plain\", got ", v.dump());
      o.plain_downsample = v == "plain";
    }
  }
  if (!o.split.empty() && !options.contains("s")) o.s = static_cast<std::int64_t>(o.split.size());
  return entry.build(o);
}

}  // namespace hs::models
