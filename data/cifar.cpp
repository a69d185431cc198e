#include "data/cifar.h"

#include <filesystem>

#include "core/error.h"
#include "data/file_bytes.h"

namespace hs::data {

namespace {

constexpr std::int64_t kSide = 32, kChannels = 3;
constexpr std::int64_t kImageBytes = kChannels * kSide * kSide;

const std::vector<std::string>& cifar10_classes() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

const std::vector<std::string>& cifar100_fine_classes() {
  static const std::vector<std::string> names = {
      "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
      "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
      "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
      "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
      "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
      "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
      "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
      "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
      "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
      "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
      "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
      "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
      "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
      "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
      "table",       "tank",          "telephone", "television", "tiger",        "tractor",
      "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
      "willow_tree", "wolf",          "woman",     "worm"};
  return names;
}

const std::vector<std::string>& cifar100_coarse_classes() {
  static const std::vector<std::string> names = {"aquatic_mammals",
                                                 "fish",
                                                 "flowers",
                                                 "food_containers",
                                                 "fruit_and_vegetables",
                                                 "household_electrical_devices",
                                                 "household_furniture",
                                                 "insects",
                                                 "large_carnivores",
                                                 "large_man-made_outdoor_things",
                                                 "large_natural_outdoor_scenes",
                                                 "large_omnivores_and_herbivores",
                                                 "medium_mammals",
                                                 "non-insect_invertebrates",
                                                 "people",
                                                 "reptiles",
                                                 "small_mammals",
                                                 "trees",
                                                 "vehicles_1",
                                                 "vehicles_2"};
  return names;
}

// `dir` when it holds `probe`, else its `subfolder` when that does (the layout the official
// archives unpack to).
std::filesystem::path find_folder(const std::string& dir, const std::string& subfolder,
                                  const std::string& probe, const char* context) {
  namespace fs = std::filesystem;
  if (fs::exists(fs::path(dir) / probe)) return dir;
  if (fs::exists(fs::path(dir) / subfolder / probe)) return fs::path(dir) / subfolder;
  HS_FAIL(context, ": cannot find ", (fs::path(dir) / probe).string(), " (nor ",
          (fs::path(dir) / subfolder / probe).string(), ")");
}

// Appends the records of one CIFAR file to ds: `label_bytes` label bytes per record, of which
// the one at `label_slot` is kept (it must be < ds.num_classes), then the image planes.
void append_records(const std::filesystem::path& path, std::int64_t label_bytes,
                    std::int64_t label_slot, ImageDataset& ds, const char* context) {
  const std::vector<std::uint8_t> bytes = read_file_bytes(path.string(), context);
  const auto record = static_cast<std::size_t>(label_bytes + kImageBytes);
  HS_CHECK(!bytes.empty() && bytes.size() % record == 0, context, ": ", path.string(),
           ": wrong size: ", bytes.size(), " bytes is not a positive multiple of the ", record,
           "-byte record (", label_bytes, " label byte", label_bytes > 1 ? "s" : "", " + ",
           kImageBytes, " pixel bytes)");
  const std::size_t records = bytes.size() / record;
  ds.pixels.reserve(ds.pixels.size() + records * kImageBytes);
  for (std::size_t r = 0; r < records; ++r) {
    const std::uint8_t* p = bytes.data() + r * record;
    const std::int64_t label = p[label_slot];
    HS_CHECK(label < ds.num_classes, context, ": ", path.string(), ": label ", label, " of record ",
             r, " is out of range [0, ", ds.num_classes, ")");
    ds.labels.push_back(label);
    ds.pixels.insert(ds.pixels.end(), p + label_bytes, p + record);
  }
  ds.n += static_cast<std::int64_t>(records);
}

ImageDataset empty_cifar(std::vector<std::string> class_names, std::string name) {
  ImageDataset ds;
  ds.channels = kChannels;
  ds.height = kSide;
  ds.width = kSide;
  ds.num_classes = static_cast<std::int64_t>(class_names.size());
  ds.class_names = std::move(class_names);
  ds.name = std::move(name);
  return ds;
}

}  // namespace

ImageDataset load_cifar10(const std::string& dir, bool train) {
  std::vector<std::string> files;
  if (train) {
    for (int k = 1; k <= 5; ++k) files.push_back("data_batch_" + std::to_string(k) + ".bin");
  } else {
    files.push_back("test_batch.bin");
  }
  const auto folder = find_folder(dir, "cifar-10-batches-bin", files[0], "load_cifar10");
  ImageDataset ds = empty_cifar(cifar10_classes(), "cifar10");
  for (const std::string& file : files) append_records(folder / file, 1, 0, ds, "load_cifar10");
  return ds;
}

ImageDataset load_cifar100(const std::string& dir, bool train, bool coarse) {
  const std::string file = train ? "train.bin" : "test.bin";
  const auto folder = find_folder(dir, "cifar-100-binary", file, "load_cifar100");
  ImageDataset ds =
      empty_cifar(coarse ? cifar100_coarse_classes() : cifar100_fine_classes(), "cifar100");
  append_records(folder / file, 2, coarse ? 0 : 1, ds, "load_cifar100");
  return ds;
}

}  // namespace hs::data
