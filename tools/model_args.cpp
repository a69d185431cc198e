#include "tools/model_args.h"

namespace hs::tools {

void ModelArgs::add_to(CLI::App& app) {
  app.add_option("--model", model, "model name (see `hsnet summary --list`)")
      ->capture_default_str();
  app.add_option("--s", s, "HS split number s (>= 2)");
  app.add_option("--w0", w0, "HS CIFAR group width of the first stage");
  app.add_option("--ratio", ratio, "HS carry ratio r in [0, 1)");
  app.add_flag("--carry-leading", carry_leading, "carry the leading channels instead");
  app.add_option("--downsample-block", downsample_block, "HS ImageNet: stage | plain");
  app.add_option("--split", split, "HS per-group width proportions, e.g. 1,1,2,4 (sets s)")
      ->delimiter(',');
  app.add_option("--classes", classes, "number of classes");
  app.add_option("--in-channels", in_channels, "input channels");
}

nlohmann::json ModelArgs::options(nlohmann::json base) const {
  if (s) base["s"] = *s;
  if (w0) base["w0"] = *w0;
  if (ratio) base["ratio"] = *ratio;
  if (carry_leading) base["carry_leading"] = true;
  if (downsample_block) base["downsample_block"] = *downsample_block;
  if (!split.empty()) base["split"] = split;
  if (classes) base["classes"] = *classes;
  if (in_channels) base["in_channels"] = *in_channels;
  return base;
}

}  // namespace hs::tools
