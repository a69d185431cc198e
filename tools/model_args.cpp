#include "tools/model_args.h"

namespace hs::tools {

void ModelArgs::add_to(CLI::App& app) {
  app.add_option("--model", model, "model name (see `hsnet summary --list`)")
      ->capture_default_str();
  app.add_option("--block", block,
                 "cifar_resnet / imagenet_resnet: basic | bottleneck | hs | res2net | sk");
  app.add_option("--depth", depth, "cifar_resnet / imagenet_resnet: depth (e.g. 29, 50)");
  app.add_option("--s", s, "split number / scale s (>= 2)");
  app.add_option("--w0", w0, "CIFAR: group width of the first stage");
  app.add_option("--base-width", base_width, "ImageNet: width per 64 planes");
  app.add_option("--cardinality", cardinality, "groups of the 3x3 convolutions (res2net, sk)");
  app.add_option("--ratio", ratio, "HS carry ratio r in [0, 1)");
  app.add_flag("--carry-leading", carry_leading, "carry the leading channels instead");
  app.add_option("--downsample-block", downsample_block, "HS ImageNet: stage | plain");
  app.add_option("--split", split, "HS per-group width proportions, e.g. 1,1,2,4 (sets s)")
      ->delimiter(',');
  app.add_option("--classes", classes, "number of classes");
  app.add_option("--in-channels", in_channels, "input channels");
}

nlohmann::json ModelArgs::options(nlohmann::json base) const {
  if (block) base["block"] = *block;
  if (depth) base["depth"] = *depth;
  if (s) base["s"] = *s;
  if (w0) base["w0"] = *w0;
  if (base_width) base["base_width"] = *base_width;
  if (cardinality) base["cardinality"] = *cardinality;
  if (ratio) base["ratio"] = *ratio;
  if (carry_leading) base["carry_leading"] = true;
  if (downsample_block) base["downsample_block"] = *downsample_block;
  if (!split.empty()) base["split"] = split;
  if (classes) base["classes"] = *classes;
  if (in_channels) base["in_channels"] = *in_channels;
  return base;
}

}  // namespace hs::tools
