#include "data/datasets.h"

#include <algorithm>

#include "core/error.h"
#include "data/cifar.h"
#include "data/idx.h"

namespace hs::data {

namespace {

std::string valid_names() {
  std::string text;
  for (const std::string& name : dataset_names()) text += (text.empty() ? "" : ", ") + name;
  return text;
}

void check_name(const std::string& name, const char* context) {
  const auto& names = dataset_names();
  HS_CHECK(std::find(names.begin(), names.end(), name) != names.end(), context,
           ": unknown dataset '", name, "' (valid: ", valid_names(), ")");
}

}  // namespace

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> names = {"fashion-mnist", "mnist", "cifar10", "cifar100"};
  return names;
}

std::string default_data_dir(const std::string& name) {
  check_name(name, "default_data_dir");
  if (name == "fashion-mnist") return "/usr/share/datasets/fashion-mnist";
  if (name == "mnist") return "/usr/share/datasets/mnist";
  if (name == "cifar10") return "data/cifar-10-batches-bin";
  return "data/cifar-100-binary";
}

ImageDataset load_dataset(const std::string& name, const std::string& dir, bool train) {
  check_name(name, "load_dataset");
  const std::string where = dir.empty() ? default_data_dir(name) : dir;
  if (name == "fashion-mnist") return load_fashion_mnist(where, train);
  if (name == "mnist") return load_mnist(where, train);
  if (name == "cifar10") return load_cifar10(where, train);
  return load_cifar100(where, train);
}

std::optional<ChannelStats> known_channel_stats(const std::string& name) {
  if (name == "fashion-mnist") return ChannelStats{{0.2860f}, {0.3530f}};
  if (name == "mnist") return ChannelStats{{0.1307f}, {0.3081f}};
  if (name == "cifar10")
    return ChannelStats{{0.4914f, 0.4822f, 0.4465f}, {0.2470f, 0.2435f, 0.2616f}};
  if (name == "cifar100")
    return ChannelStats{{0.5071f, 0.4865f, 0.4409f}, {0.2673f, 0.2564f, 0.2762f}};
  return std::nullopt;
}

}  // namespace hs::data
