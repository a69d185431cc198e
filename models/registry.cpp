#include "models/registry.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>

#include "models/res2net.h"

namespace hs::models {

namespace {

enum class Skeleton { cifar, imagenet };

// A preset: a skeleton, the options it fixes, and the options a user may still set. The two
// skeleton entries themselves let the user choose the block and depth.
struct Entry {
  Skeleton skeleton;
  ModelOptions defaults;
  std::vector<std::string> options;
  bool chooses_block = false;
};

const std::vector<std::string> kHsCifarOptions = {"s",     "w0",      "ratio",      "carry_leading",
                                                  "split", "classes", "in_channels"};
const std::vector<std::string> kHsImagenetOptions = {
    "s",          "ratio",   "carry_leading", "split", "downsample_block",
    "base_width", "classes", "in_channels"};
const std::vector<std::string> kPlainOptions = {"classes", "in_channels"};
const std::vector<std::string> kSplitCifarOptions = {"s", "w0", "classes", "in_channels"};
// The skeletons themselves take every option; which ones a block uses is checked by
// block_options below.
const std::vector<std::string> kSkeletonOptions = {
    "block", "depth",         "s",     "w0",      "base_width",  "cardinality",
    "ratio", "carry_leading", "split", "classes", "in_channels", "downsample_block"};

// The options of the skeleton `sk` that block `kind` uses (beside block, depth, classes and
// in_channels, which every block takes).
std::vector<std::string> block_options(Skeleton sk, BlockKind kind) {
  const char* width = sk == Skeleton::cifar ? "w0" : "base_width";
  switch (kind) {
    case BlockKind::basic:
      return {};
    case BlockKind::bottleneck:
      return sk == Skeleton::cifar ? std::vector<std::string>{"s", "w0"}
                                   : std::vector<std::string>{"base_width"};
    case BlockKind::hs: {
      std::vector<std::string> o = {"s", width, "ratio", "carry_leading", "split"};
      if (sk == Skeleton::imagenet) o.push_back("downsample_block");
      return o;
    }
    case BlockKind::res2net:
    case BlockKind::sk:
      return {"s", width, "cardinality"};
  }
  return {};
}

ModelOptions cifar(BlockKind block, int depth) {
  ModelOptions o;
  o.block = block;
  o.depth = depth;
  return o;
}

// The ImageNet skeleton's defaults for each block: the published models' settings
// (HS-ResNet-50 s=8; Res2Net-50 26w×4s; SKNet-50 = ResNeXt-50 32x4d; ResNet-50).
ModelOptions imagenet(BlockKind block, int depth) {
  ModelOptions o;
  o.block = block;
  o.depth = depth;
  o.classes = 1000;
  o.s = block == BlockKind::hs ? 8 : 4;
  if (block == BlockKind::res2net) o.base_width = 26;
  if (block == BlockKind::sk) {
    o.base_width = 4;
    o.cardinality = 32;
  }
  return o;
}

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> entries = [] {
    std::map<std::string, Entry> m;
    m["cifar_resnet"] = {Skeleton::cifar, cifar(BlockKind::hs, 29), kSkeletonOptions, true};
    m["imagenet_resnet"] = {Skeleton::imagenet, imagenet(BlockKind::hs, 50), kSkeletonOptions,
                            true};
    for (int depth : {29, 56, 110, 164}) {
      const std::string d = std::to_string(depth);
      m["hs_resnet" + d + "_cifar"] = {Skeleton::cifar, cifar(BlockKind::hs, depth),
                                       kHsCifarOptions};
      m["res2net" + d + "_cifar"] = {Skeleton::cifar, cifar(BlockKind::res2net, depth),
                                     kSplitCifarOptions};
      m["skresnet" + d + "_cifar"] = {Skeleton::cifar, cifar(BlockKind::sk, depth),
                                      kSplitCifarOptions};
    }
    for (int depth : {20, 32, 44, 56, 110})
      m["resnet" + std::to_string(depth) + "_cifar"] = {
          Skeleton::cifar, cifar(BlockKind::basic, depth), kPlainOptions};
    for (int depth : {50, 101, 152})
      m["hs_resnet" + std::to_string(depth)] = {Skeleton::imagenet, imagenet(BlockKind::hs, depth),
                                                kHsImagenetOptions};
    m["resnet50"] = {Skeleton::imagenet, imagenet(BlockKind::bottleneck, 50), kPlainOptions};
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
                                   Res2NetPreset{"res2next50", 50, 4, 4, 8}}) {
      ModelOptions o = imagenet(BlockKind::res2net, p.depth);
      o.base_width = p.width;
      o.s = p.scale;
      o.cardinality = p.cardinality;
      m[p.name] = {Skeleton::imagenet, o, kPlainOptions};
    }
    m["skresnext50_32x4d"] = {Skeleton::imagenet, imagenet(BlockKind::sk, 50), kPlainOptions};
    // The ResNeXt-29 CIFAR layout (stem of 64, planes 64, 128, 256) with Res2NeXt blocks of
    // cardinality 6, 24 channels per group and scale 4: 6·24·2^k channels per split.
    ModelOptions res2next29 = cifar(BlockKind::res2net, 29);
    res2next29.base_planes = 64;
    res2next29.cardinality = 6;
    res2next29.w0 = res2net_width(64, 24, 6);
    m["res2next29_6c24w4s"] = {Skeleton::cifar, res2next29, kPlainOptions};
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
  return find_entry(name).skeleton == Skeleton::imagenet ? 224 : 32;
}

std::shared_ptr<ResNet> create_model(const std::string& name, const nlohmann::json& options) {
  const Entry& entry = find_entry(name);
  HS_CHECK(options.is_object() || options.is_null(), "model: options must be a JSON object, got ",
           options.dump());
  for (const auto& [key, v] : options.items()) {
    const bool fixed = !entry.chooses_block && (key == "block" || key == "depth");
    HS_CHECK(std::find(entry.options.begin(), entry.options.end(), key) != entry.options.end(),
             "model: unknown option '", key, "' for ", name, " (valid: ", joined(entry.options),
             ")",
             fixed ? "; a named model fixes its block and depth: choose them with cifar_resnet or "
                     "imagenet_resnet"
                   : "");
  }
  ModelOptions o = entry.defaults;
  if (entry.chooses_block && options.contains("block")) {
    const nlohmann::json& v = options["block"];
    HS_CHECK(v.is_string(), "model: option 'block' must be a string, got ", v.dump());
    const BlockKind block = parse_block(v.get<std::string>());
    // The block's own defaults, and a depth it can be built at (6n+2, or 18 on ImageNet,
    // for basic blocks).
    const bool basic = block == BlockKind::basic;
    const int depth = entry.skeleton == Skeleton::cifar ? (basic ? 20 : 29) : (basic ? 18 : 50);
    o = entry.skeleton == Skeleton::cifar ? cifar(block, depth) : imagenet(block, depth);
  }
  if (entry.chooses_block) {
    std::vector<std::string> used = block_options(entry.skeleton, o.block);
    for (const auto& [key, v] : options.items()) {
      const bool common =
          key == "block" || key == "depth" || key == "classes" || key == "in_channels";
      HS_CHECK(common || std::find(used.begin(), used.end(), key) != used.end(), "model: option '",
               key, "' does not apply to block ", block_name(o.block), " (its options: ",
               used.empty() ? "none beyond depth, classes, in_channels" : joined(used), ")");
    }
  }
  for (const auto& [key, v] : options.items()) {
    if (key == "s")
      o.s = get_int(v, key, 2);
    else if (key == "w0")
      o.w0 = get_int(v, key, 1);
    else if (key == "depth")
      o.depth = static_cast<int>(get_int(v, key, 1));
    else if (key == "cardinality")
      o.cardinality = get_int(v, key, 1);
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
  try {
    return entry.skeleton == Skeleton::cifar ? cifar_resnet(o) : imagenet_resnet(o);
  } catch (const Error& e) {
    if (entry.chooses_block) throw;
    throw Error(name + ": " + e.what());  // the skeleton's message, naming the preset
  }
}

}  // namespace hs::models
