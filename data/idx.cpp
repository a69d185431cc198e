#include "data/idx.h"

#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "data/file_bytes.h"

namespace hs::data {

namespace {

constexpr std::uint32_t kUnsignedByteType = 0x08;

std::uint32_t read_be32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t value) {
  std::ostringstream os;
  os << "0x" << std::hex << std::setw(8) << std::setfill('0') << value;
  return os.str();
}

// An IDX array of unsigned bytes: its dimensions and its values (header stripped).
struct IdxBytes {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> values;
};

IdxBytes read_idx_bytes(const std::string& path, std::uint32_t ndims, const char* what) {
  std::vector<std::uint8_t> bytes = read_file_bytes(path, "read_idx");
  const std::uint32_t expected_magic = kUnsignedByteType << 8 | ndims;
  HS_CHECK(bytes.size() >= 4, "read_idx: ", path, ": file of ", bytes.size(),
           " bytes is too short for an IDX header");
  const std::uint32_t magic = read_be32(bytes.data());
  HS_CHECK(magic == expected_magic, "read_idx: ", path, ": bad magic ", hex32(magic), ", expected ",
           hex32(expected_magic), " (IDX ", what, ": unsigned bytes, ", ndims, " dims)");
  const std::size_t header = 4 + 4 * std::size_t{ndims};
  HS_CHECK(bytes.size() >= header, "read_idx: ", path, ": truncated header: ", bytes.size(),
           " bytes, expected at least ", header);

  IdxBytes idx;
  std::size_t count = 1;
  std::ostringstream dims_text;
  for (std::uint32_t d = 0; d < ndims; ++d) {
    const std::uint32_t extent = read_be32(bytes.data() + 4 + 4 * d);
    idx.dims.push_back(extent);
    // Saturate instead of overflowing: any saturated count fails the size check below.
    count = extent != 0 && count > SIZE_MAX / extent ? SIZE_MAX : count * extent;
    dims_text << (d ? "x" : "") << extent;
  }
  HS_CHECK(bytes.size() - header == count, "read_idx: ", path, ": wrong size (",
           bytes.size() - header < count ? "truncated" : "trailing bytes", "): a ", header,
           "-byte header + ", dims_text.str(), " values need ", header, " + ", count,
           " bytes but the data holds ", bytes.size());
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header));
  idx.values = std::move(bytes);
  return idx;
}

std::vector<std::string> numbered_names(std::int64_t count) {
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

// dir/name, or dir/name.gz when only the compressed file is there.
std::string plain_or_gz(const std::string& dir, const std::string& name, const char* context) {
  namespace fs = std::filesystem;
  const fs::path plain = fs::path(dir) / name;
  if (fs::exists(plain)) return plain.string();
  const fs::path gz = fs::path(dir) / (name + ".gz");
  if (fs::exists(gz)) return gz.string();
  HS_FAIL(context, ": cannot find ", plain.string(), " (nor ", gz.string(), ")");
}

ImageDataset load_idx_pair(const std::string& dir, bool train, const char* context) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string images = plain_or_gz(dir, prefix + "-images-idx3-ubyte", context);
  const std::string labels = plain_or_gz(dir, prefix + "-labels-idx1-ubyte", context);
  return read_idx(images, labels);
}

}  // namespace

ImageDataset read_idx(const std::string& images_path, const std::string& labels_path,
                      std::int64_t num_classes) {
  HS_CHECK(num_classes > 0 && num_classes <= 256, "read_idx: num_classes must be in [1, 256], got ",
           num_classes);
  IdxBytes images = read_idx_bytes(images_path, 3, "images");
  IdxBytes labels = read_idx_bytes(labels_path, 1, "labels");
  HS_CHECK(images.dims[0] == labels.dims[0], "read_idx: ", images_path, " holds ", images.dims[0],
           " images but ", labels_path, " holds ", labels.dims[0], " labels (count mismatch)");

  HS_CHECK(images.dims[1] > 0 && images.dims[2] > 0, "read_idx: ", images_path, ": images of ",
           images.dims[1], "x", images.dims[2], " pixels (each side must be at least 1)");

  ImageDataset ds;
  ds.n = images.dims[0];
  ds.channels = 1;
  ds.height = images.dims[1];
  ds.width = images.dims[2];
  ds.pixels = std::move(images.values);
  ds.labels.reserve(labels.values.size());
  for (std::size_t i = 0; i < labels.values.size(); ++i) {
    const std::int64_t label = labels.values[i];
    HS_CHECK(label < num_classes, "read_idx: ", labels_path, ": label ", label, " at index ", i,
             " is out of range [0, ", num_classes, ")");
    ds.labels.push_back(label);
  }
  ds.num_classes = num_classes;
  ds.class_names = numbered_names(num_classes);
  ds.name = "idx";
  return ds;
}

ImageDataset load_fashion_mnist(const std::string& dir, bool train) {
  ImageDataset ds = load_idx_pair(dir, train, "load_fashion_mnist");
  ds.class_names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  ds.name = "fashion-mnist";
  return ds;
}

ImageDataset load_mnist(const std::string& dir, bool train) {
  ImageDataset ds = load_idx_pair(dir, train, "load_mnist");
  ds.name = "mnist";
  return ds;
}

}  // namespace hs::data
