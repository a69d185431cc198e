#pragma once
// The datasets hsnet knows by name — fashion-mnist, mnist, cifar10, cifar100 — with where
// they live by default and their usual normalisation constants.
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"

namespace hs::data {

// The names load_dataset accepts.
const std::vector<std::string>& dataset_names();

// Where a dataset is looked for when no directory is given: the Debian package locations
// /usr/share/datasets/{fashion-mnist,mnist}, and data/cifar-10-batches-bin or
// data/cifar-100-binary (relative to the working directory) for CIFAR.
std::string default_data_dir(const std::string& name);

// The training (train = true) or test split of the named dataset from `dir`
// (default_data_dir(name) when empty). CIFAR-100 uses its 100 fine labels.
ImageDataset load_dataset(const std::string& name, const std::string& dir, bool train);

// The customary per-channel mean/std of x/255 for a named dataset (computed on its training
// set), or nothing for a name without published constants.
std::optional<ChannelStats> known_channel_stats(const std::string& name);

}  // namespace hs::data
