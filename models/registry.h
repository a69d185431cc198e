#pragma once
// The model registry: builds a model from its name and a JSON object of options, e.g.
// create_model("hs_resnet29_cifar", {{"s", 6}, {"ratio", 0.25}}). Every name is a preset of
// one of the two skeletons (models/skeleton.h), and the skeletons themselves are entries:
// create_model("cifar_resnet", {{"block", "res2net"}, {"depth", 56}}). Unknown names or
// options, options the chosen block does not use, and values of the wrong type or range, are
// hs::Errors listing the valid ones.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/resnet.h"
#include "models/skeleton.h"

namespace hs::models {

std::shared_ptr<ResNet> create_model(const std::string& name,
                                     const nlohmann::json& options = nlohmann::json::object());

// Every registered model name.
std::vector<std::string> model_names();
// The option keys `name` accepts.
std::vector<std::string> model_option_names(const std::string& name);
// The image side `name` is laid out for: 32 for the CIFAR layouts, 224 for ImageNet's.
std::int64_t model_input_size(const std::string& name);

}  // namespace hs::models
