#pragma once
// The datasets hsnet knows by name — fashion-mnist, mnist, cifar10, cifar100, and "folder"
// (an image folder, see image_folder.h) — with where they live by default, the command that
// downloads them and their usual normalisation constants.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace hs::data {

// The names load_dataset accepts.
const std::vector<std::string>& dataset_names();

// Where `hsnet data download` puts a dataset (relative to the working directory):
// data/cifar-10-batches-bin, data/cifar-100-binary, data/mnist, data/fashion-mnist.
std::string download_dir(const std::string& name);

// Where a dataset is looked for when no directory is given: the Debian package locations
// /usr/share/datasets/{fashion-mnist,mnist} when installed, else download_dir(name).
// "folder" has no default: it needs --data.
std::string default_data_dir(const std::string& name);

// The command that downloads the named dataset into `dir`: "hsnet data download cifar10",
// with " --dir DIR" when dir is not download_dir(name).
std::string download_command(const std::string& name, const std::string& dir);

// The training (train = true) or test split of the named dataset from `dir`
// (default_data_dir(name) when empty). CIFAR-100 uses its 100 fine labels. A folder that does
// not exist is an hs::Error giving download_command. image_size: the side a "folder" dataset
// is decoded to (required > 0 for it, ignored by the others, whose size is their own).
ImageDataset load_dataset(const std::string& name, const std::string& dir, bool train,
                          std::int64_t image_size = 0);

// The customary per-channel mean/std of x/255 for a named dataset (computed on its training
// set; ImageNet's for "folder"), or nothing for a name without published constants.
std::optional<ChannelStats> known_channel_stats(const std::string& name);

}  // namespace hs::data
