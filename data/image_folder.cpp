#include "data/image_folder.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "data/jpeg.h"
#include "data/resized_crop.h"

namespace hs::data {

namespace {

namespace fs = std::filesystem;

// The entries of `dir` not starting with '.', sorted by name.
std::vector<fs::path> visible_entries(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  HS_CHECK(!ec, "image folder: cannot list ", dir.string(), ": ", ec.message());
  std::vector<fs::path> entries;
  for (const fs::directory_entry& entry : it)
    if (entry.path().filename().string()[0] != '.') entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

fs::path split_folder(const std::string& dir, const char* split) {
  const fs::path path = fs::path(dir) / split;
  HS_CHECK(fs::is_directory(path), "image folder: no folder ", path.string(), " (expected ", dir,
           "/train/<class>/*.jpg|png and ", dir, "/val/<class>/...)");
  return path;
}

std::vector<std::string> class_names(const fs::path& train_dir) {
  std::vector<std::string> names;
  for (const fs::path& entry : visible_entries(train_dir)) {
    HS_CHECK(fs::is_directory(entry), "image folder: ", entry.string(),
             " is not a class folder (expected only folders in ", train_dir.string(), ")");
    names.push_back(entry.filename().string());
  }
  HS_CHECK(!names.empty(), "image folder: ", train_dir.string(), " holds no class folders");
  return names;
}

}  // namespace

ImageDataset scan_image_folder(const std::string& dir, bool train, std::int64_t image_size) {
  HS_CHECK(image_size >= 1, "image folder: image size must be >= 1, got ", image_size);
  ImageDataset ds;
  ds.name = "folder";
  ds.class_names = class_names(split_folder(dir, "train"));
  ds.num_classes = static_cast<std::int64_t>(ds.class_names.size());
  std::map<std::string, std::int64_t> label_of;
  for (std::int64_t i = 0; i < ds.num_classes; ++i) label_of[ds.class_names[i]] = i;

  const fs::path split = split_folder(dir, train ? "train" : "val");
  for (const fs::path& class_dir : visible_entries(split)) {
    const std::string name = class_dir.filename().string();
    HS_CHECK(fs::is_directory(class_dir), "image folder: ", class_dir.string(),
             " is not a class folder");
    const auto label = label_of.find(name);
    HS_CHECK(label != label_of.end(), "image folder: class '", name, "' of ", split.string(),
             " is not among the classes of ", (fs::path(dir) / "train").string());
    for (const fs::path& file : visible_entries(class_dir)) {
      ds.files.push_back(file.string());
      ds.labels.push_back(label->second);
    }
  }
  ds.n = static_cast<std::int64_t>(ds.files.size());
  HS_CHECK(ds.n > 0, "image folder: ", split.string(), " holds no images");
  ds.channels = 3;
  ds.height = ds.width = image_size;
  return ds;
}

void load_image_sample(const ImageDataset& ds, std::int64_t index, const Augment& aug,
                       Generator& gen, float* out) {
  Image image = read_image(ds.files[static_cast<std::size_t>(index)]);
  if (image.channels != ds.channels) image = convert_channels(image, ds.channels);
  AxisSampling rows, cols;
  if (aug.random_resized_crop) {
    const CropBox box = random_resized_crop_box(image.height, image.width, gen);
    rows = crop_axis(box.top, box.height, ds.height);
    cols = crop_axis(box.left, box.width, ds.width);
  } else {
    const std::int64_t shorter = std::min(image.height, image.width);
    rows = center_crop_axis(image.height, shorter, ds.height);
    cols = center_crop_axis(image.width, shorter, ds.width);
  }
  const bool mirrored = aug.flip && gen.uniform() < 0.5;
  sample_normalised(image, rows, cols, ds.height, ds.width, mirrored, aug.mean, aug.std, out);
}

}  // namespace hs::data
