#include "data/datasets.h"

#include <algorithm>
#include <filesystem>

#include "core/error.h"
#include "data/cifar.h"
#include "data/idx.h"
#include "data/image_folder.h"

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
  static const std::vector<std::string> names = {"fashion-mnist", "mnist", "cifar10", "cifar100",
                                                 "folder"};
  return names;
}

std::string download_dir(const std::string& name) {
  check_name(name, "download_dir");
  HS_CHECK(name != "folder", "download_dir: an image folder is not downloaded");
  if (name == "cifar10") return "data/cifar-10-batches-bin";
  if (name == "cifar100") return "data/cifar-100-binary";
  return "data/" + name;
}

std::string default_data_dir(const std::string& name) {
  check_name(name, "default_data_dir");
  HS_CHECK(name != "folder",
           "default_data_dir: the folder dataset has no default: give --data DIR");
  if (name == "fashion-mnist" || name == "mnist") {
    const std::string debian = "/usr/share/datasets/" + name;
    std::error_code ec;
    if (std::filesystem::is_directory(debian, ec)) return debian;
  }
  return download_dir(name);
}

std::string download_command(const std::string& name, const std::string& dir) {
  const std::string command = "hsnet data download " + name;
  return dir.empty() || dir == download_dir(name) ? command : command + " --dir " + dir;
}

ImageDataset load_dataset(const std::string& name, const std::string& dir, bool train,
                          std::int64_t image_size) {
  check_name(name, "load_dataset");
  if (name == "folder") {
    HS_CHECK(!dir.empty(), "load_dataset: the folder dataset needs a directory (--data DIR)");
    return scan_image_folder(dir, train, image_size);
  }
  const std::string where = dir.empty() ? default_data_dir(name) : dir;
  std::error_code ec;
  HS_CHECK(std::filesystem::exists(where, ec), "load_dataset: no ", name, " data in ", where,
           ": fetch it with `", download_command(name, where), "`");
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
  if (name == "folder") return ChannelStats{{0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}};
  return std::nullopt;
}

}  // namespace hs::data
