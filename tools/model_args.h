#pragma once
// Model-selection options shared by the subcommands (--model --block --depth --s --w0 --ratio
// --classes --in-channels --split ...), turned into the JSON options the model registry takes. Only
// options the user gave are passed on, so each family keeps its own defaults.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace hs::tools {

struct ModelArgs {
  std::string model = "hs_resnet29_cifar";
  std::optional<std::string> block;  // cifar_resnet / imagenet_resnet: the residual block
  std::optional<std::int64_t> depth, s, w0, base_width, cardinality, classes, in_channels;
  std::optional<double> ratio;
  bool carry_leading = false;
  std::optional<std::string> downsample_block;
  std::vector<double> split;  // --split 1,1,2,4; empty: not given

  void add_to(CLI::App& app);
  // The registry options: those given on the command line over `base` (e.g. a config's).
  nlohmann::json options(nlohmann::json base = nlohmann::json::object()) const;
};

}  // namespace hs::tools
