// hsnet summary: the per-layer table of a model and its totals.
#include <cstdio>
#include <iostream>
#include <sstream>

#include "models/registry.h"
#include "nn/summary.h"
#include "tools/commands.h"
#include "tools/model_args.h"

namespace hs::tools {

namespace {

// "CxHxW" -> [1, C, H, W].
Shape parse_input(const std::string& text) {
  std::int64_t c = 0, h = 0, w = 0;
  char x1 = 0, x2 = 0;
  std::istringstream is(text);
  is >> c >> x1 >> h >> x2 >> w;
  HS_CHECK(is && is.eof() && x1 == 'x' && x2 == 'x' && c > 0 && h > 0 && w > 0,
           "summary: --input must look like 3x32x32, got '", text, "'");
  return {1, c, h, w};
}

}  // namespace

Command add_summary(CLI::App& app) {
  auto args = std::make_shared<ModelArgs>();
  auto input = std::make_shared<std::string>();
  auto list = std::make_shared<bool>(false);
  args->add_to(app);
  app.add_option("--input", *input,
                 "input size CxHxW (default 3x32x32, ImageNet models 3x224x224)");
  app.add_flag("--list", *list, "list the model names and exit");
  return [args, input, list]() {
    if (*list) {
      for (const std::string& name : models::model_names()) std::cout << name << "\n";
      return 0;
    }
    const std::int64_t side = models::model_input_size(args->model);
    Shape shape = input->empty() ? Shape{1, 3, side, side} : parse_input(*input);
    nlohmann::json options = args->options();
    // The input's channels decide the model's unless given.
    if (!input->empty() && !options.contains("in_channels")) options["in_channels"] = shape[1];
    if (input->empty() && options.contains("in_channels")) shape[1] = options["in_channels"];
    auto model = models::create_model(args->model, options);
    std::cout << "model " << args->model << " " << options.dump() << " input " << shape << "\n";
    std::cout << nn::summarize(*model, shape).table();
    return 0;
  };
}

}  // namespace hs::tools
