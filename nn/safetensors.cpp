#include "nn/safetensors.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "core/atomic_file.h"

namespace hs::nn {
namespace {

// Tensor bytes are written and read as they lie in memory.
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swaps");

constexpr std::uint64_t kLengthPrefixBytes = 8;
constexpr const char* kMetadataKey = "__metadata__";
// Extents and offsets must fit the signed 64-bit integers that Shape and file offsets use.
constexpr std::uint64_t kMaxCount = std::numeric_limits<std::int64_t>::max();
// A larger header is refused before it is allocated, as Python's safetensors does (its limit
// is 100 MB too); real headers are a few kilobytes.
constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t{100} << 20;

const char* safetensors_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "F32";
    case DType::f64:
      return "F64";
    case DType::i64:
      return "I64";
  }
  return "?";
}

std::optional<DType> dtype_from_safetensors_name(const std::string& name) {
  if (name == "F32") return DType::f32;
  if (name == "F64") return DType::f64;
  if (name == "I64") return DType::i64;
  return std::nullopt;
}

std::string error_text(int err) { return std::strerror(err); }

// One tensor as the header describes it: byte range relative to the data section.
struct TensorEntry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

struct Header {
  std::vector<TensorEntry> entries;
  std::map<std::string, std::string> metadata;
};

// The header length stored in the first 8 bytes, checked against the file's size.
std::uint64_t checked_header_length(const unsigned char* prefix, std::uint64_t file_size,
                                    const std::string& where) {
  std::uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | prefix[i];
  HS_CHECK(length <= file_size - kLengthPrefixBytes, where, ": header length ", length,
           " bytes is larger than the ", file_size - kLengthPrefixBytes,
           " bytes that follow the 8-byte length (file size ", file_size, " bytes)");
  HS_CHECK(length <= kMaxHeaderBytes, where, ": header length ", length,
           " bytes is more than the limit of ", kMaxHeaderBytes, " bytes");
  return length;
}

void check_file_holds_length(std::uint64_t file_size, const std::string& where) {
  HS_CHECK(file_size >= kLengthPrefixBytes, where, ": file is ", file_size,
           " bytes long, shorter than the 8-byte header length");
}

// A non-negative JSON integer that fits in int64 (shape extents and byte offsets).
std::uint64_t json_count(const nlohmann::json& value, const std::string& where,
                         const std::string& key, const char* field) {
  HS_CHECK(value.is_number_integer(), where, ": tensor '", key, "': ", field, " holds ",
           value.dump(), ", not an integer");
  HS_CHECK(value.is_number_unsigned(), where, ": tensor '", key, "': ", field, " holds negative ",
           value.dump());
  const auto count = value.get<std::uint64_t>();
  HS_CHECK(count <= kMaxCount, where, ": tensor '", key, "': ", field, " value ", count,
           " is too large");
  return count;
}

const nlohmann::json& json_field(const nlohmann::json& entry, const char* field,
                                 const std::string& where, const std::string& key) {
  auto it = entry.find(field);
  HS_CHECK(it != entry.end(), where, ": tensor '", key, "' has no \"", field, "\"");
  return *it;
}

TensorEntry parse_entry(const std::string& key, const nlohmann::json& entry,
                        std::uint64_t data_size, const std::string& where) {
  HS_CHECK(entry.is_object(), where, ": tensor '", key, "' is a JSON ", entry.type_name(),
           ", not an object");
  const auto& dtype_json = json_field(entry, "dtype", where, key);
  const auto& shape_json = json_field(entry, "shape", where, key);
  const auto& offsets_json = json_field(entry, "data_offsets", where, key);

  HS_CHECK(dtype_json.is_string(), where, ": tensor '", key, "': dtype ", dtype_json.dump(),
           " is not a string");
  const std::optional<DType> dtype = dtype_from_safetensors_name(dtype_json.get<std::string>());
  HS_CHECK(dtype.has_value(), where, ": tensor '", key, "' has unsupported dtype ",
           dtype_json.dump(), " (hsnet reads F32, F64 and I64)");

  HS_CHECK(shape_json.is_array(), where, ": tensor '", key, "': shape ", shape_json.dump(),
           " is not an array");
  HS_CHECK(shape_json.size() <= static_cast<std::size_t>(kMaxDims), where, ": tensor '", key,
           "' has ", shape_json.size(), " dims, more than the ", kMaxDims, " hsnet supports");
  std::vector<std::int64_t> extents;
  // The product of the non-zero extents must fit in int64 so that strides do too.
  std::uint64_t nonzero_product = 1;
  bool has_zero_extent = false;
  for (const auto& extent_json : shape_json) {
    const std::uint64_t extent = json_count(extent_json, where, key, "shape");
    extents.push_back(static_cast<std::int64_t>(extent));
    if (extent == 0) {
      has_zero_extent = true;
      continue;
    }
    HS_CHECK(!__builtin_mul_overflow(nonzero_product, extent, &nonzero_product) &&
                 nonzero_product <= kMaxCount,
             where, ": tensor '", key, "': shape ", shape_json.dump(), " has too many elements");
  }
  const std::uint64_t numel = has_zero_extent ? 0 : nonzero_product;

  HS_CHECK(offsets_json.is_array() && offsets_json.size() == 2, where, ": tensor '", key,
           "': data_offsets ", offsets_json.dump(), " is not a [begin, end] pair");
  const std::uint64_t begin = json_count(offsets_json[0], where, key, "data_offsets");
  const std::uint64_t end = json_count(offsets_json[1], where, key, "data_offsets");
  HS_CHECK(begin <= end, where, ": tensor '", key, "': data_offsets [", begin, ", ", end,
           "] are out of order (begin after end)");
  HS_CHECK(end <= data_size, where, ": tensor '", key, "': data_offsets end ", end,
           " lies beyond the data section, which holds ", data_size, " bytes");
  std::uint64_t expected_bytes = 0;
  HS_CHECK(!__builtin_mul_overflow(numel, element_size(*dtype), &expected_bytes) &&
               expected_bytes == end - begin,
           where, ": tensor '", key, "': data_offsets [", begin, ", ", end, "] span ", end - begin,
           " bytes but shape ", shape_json.dump(), " of ", dtype_json.get<std::string>(), " needs ",
           numel, " x ", element_size(*dtype), " bytes");
  return {key, *dtype, Shape(extents), begin, end};
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& table,
                                                  const std::string& where) {
  HS_CHECK(table.is_object(), where, ": ", kMetadataKey, " is a JSON ", table.type_name(),
           ", not an object");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, value] : table.items()) {
    HS_CHECK(value.is_string(), where, ": ", kMetadataKey, " entry '", key, "' holds ",
             value.dump(), ", not a string");
    metadata[key] = value.get<std::string>();
  }
  return metadata;
}

// The tensors must tile the data section exactly: sorted by begin, each starts where the
// previous one ends, and the last ends at the end of the section.
void check_packing(std::vector<TensorEntry> entries, std::uint64_t data_size,
                   const std::string& where) {
  std::sort(entries.begin(), entries.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t covered = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry& e : entries) {
    HS_CHECK(e.begin >= covered, where, ": tensor '", e.name, "' data_offsets [", e.begin, ", ",
             e.end, "] overlap tensor '", previous->name, "' [", previous->begin, ", ",
             previous->end, "]");
    HS_CHECK(e.begin == covered, where, ": tensor '", e.name, "' starts at data byte ", e.begin,
             " but the tensors before it end at byte ", covered, " (a gap of ", e.begin - covered,
             " bytes)");
    covered = e.end;
    previous = &e;
  }
  HS_CHECK(covered == data_size, where, ": ", data_size - covered,
           " bytes of trailing data after the last tensor (tensors end at data byte ", covered,
           ", the data section holds ", data_size, " bytes)");
}

Header parse_header(std::string_view text, std::uint64_t data_size, const std::string& where) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    // parse_error, and out_of_range for a number beyond a double (found by fuzzing).
    HS_FAIL(where, ": header is not valid JSON: ", e.what());
  }
  HS_CHECK(json.is_object(), where, ": header is a JSON ", json.type_name(), ", not an object");
  Header header;
  for (const auto& [key, value] : json.items()) {
    if (key == kMetadataKey)
      header.metadata = parse_metadata(value, where);
    else
      header.entries.push_back(parse_entry(key, value, data_size, where));
  }
  check_packing(header.entries, data_size, where);
  return header;
}

// ---- reading ----

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const int err = errno;
    HS_CHECK(fd_ >= 0, "read_safetensors: cannot open '", path, "': ", error_text(err));
    struct stat info {};
    const int stat_result = ::fstat(fd_, &info);
    const int stat_err = errno;
    if (stat_result != 0 || !S_ISREG(info.st_mode)) {
      ::close(fd_);
      HS_FAIL("read_safetensors: '", path, "' ",
              stat_result != 0 ? "cannot be examined: " + error_text(stat_err)
                               : std::string("is not a regular file"));
    }
    size_ = static_cast<std::uint64_t>(info.st_size);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  ~ReadOnlyFile() { ::close(fd_); }

  std::uint64_t size() const { return size_; }

  void read_at(std::uint64_t offset, void* dst, std::size_t size) const {
    char* bytes = static_cast<char*>(dst);
    while (size > 0) {
      const ssize_t got = ::pread(fd_, bytes, size, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      const int err = errno;
      HS_CHECK(got > 0, "read_safetensors: reading '", path_, "' at byte ", offset,
               " failed: ", got < 0 ? error_text(err) : "unexpected end of file");
      bytes += got;
      offset += static_cast<std::uint64_t>(got);
      size -= static_cast<std::size_t>(got);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace

void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  const std::string where = "write_safetensors: " + path;
  HS_CHECK(!tensors.count(kMetadataKey), where, ": '", kMetadataKey,
           "' is reserved and cannot name a tensor");

  // Everything that can fail before touching the disk is done first.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::vector<Tensor> host_tensors;
  std::uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    HS_CHECK(tensor.defined(), where, ": tensor '", name, "' is undefined");
    Tensor host = tensor.to(Device::cpu()).contiguous();
    const std::uint64_t end = offset + host.nbytes();
    header[name] = nlohmann::ordered_json::object({
        {"dtype", safetensors_dtype_name(host.dtype())},
        {"shape", host.shape().vec()},
        {"data_offsets", nlohmann::ordered_json::array({offset, end})},
    });
    offset = end;
    host_tensors.push_back(std::move(host));
  }
  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    HS_FAIL(where, ": cannot encode the header: ", e.what());
  }
  // Padding keeps the data section 8-byte aligned for readers that map the file.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  unsigned char length_prefix[kLengthPrefixBytes];
  std::uint64_t length = header_text.size();
  for (auto& byte : length_prefix) {
    byte = static_cast<unsigned char>(length & 0xff);
    length >>= 8;
  }

  AtomicFile file(path);
  file.write(length_prefix, sizeof length_prefix);
  file.write(header_text.data(), header_text.size());
  for (const Tensor& t : host_tensors)
    if (t.nbytes() > 0) file.write(t.data_ptr(), t.nbytes());
  file.commit();
}

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name_for_errors) {
  const std::string where = "parse_safetensors: " + name_for_errors;
  check_file_holds_length(bytes.size(), where);
  const std::uint64_t header_length = checked_header_length(
      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), where);
  const std::uint64_t data_start = kLengthPrefixBytes + header_length;
  const Header header =
      parse_header(std::string_view(bytes).substr(kLengthPrefixBytes, header_length),
                   bytes.size() - data_start, where);

  SafetensorsFile out{{}, header.metadata};
  for (const TensorEntry& e : header.entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (t.nbytes() > 0) std::memcpy(t.data_ptr(), bytes.data() + data_start + e.begin, t.nbytes());
    out.tensors[e.name] = std::move(t);
  }
  return out;
}

SafetensorsFile read_safetensors(const std::string& path) {
  const std::string where = "read_safetensors: " + path;
  const ReadOnlyFile file(path);
  check_file_holds_length(file.size(), where);
  unsigned char length_prefix[kLengthPrefixBytes];
  file.read_at(0, length_prefix, sizeof length_prefix);
  const std::uint64_t header_length = checked_header_length(length_prefix, file.size(), where);
  std::string header_text(header_length, '\0');
  file.read_at(kLengthPrefixBytes, header_text.data(), header_length);
  const std::uint64_t data_start = kLengthPrefixBytes + header_length;
  const Header header = parse_header(header_text, file.size() - data_start, where);

  // Each tensor is read straight into its own storage: no second copy of the file in memory.
  SafetensorsFile out{{}, header.metadata};
  for (const TensorEntry& e : header.entries) {
    Tensor t = empty(e.shape, e.dtype);
    if (t.nbytes() > 0) file.read_at(data_start + e.begin, t.data_ptr(), t.nbytes());
    out.tensors[e.name] = std::move(t);
  }
  return out;
}

}  // namespace hs::nn
