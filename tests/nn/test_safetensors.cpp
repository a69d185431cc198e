// safetensors I/O: round trips, the byte layout Python tools expect, rejection of every kind
// of malformed file, and atomic writes that never damage an existing file.
#include <sys/resource.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nn/safetensors.h"
#include "test_util/temp_dir.h"

using namespace hs;
using Catch::Contains;
namespace fs = std::filesystem;

using hs::test::TempDir;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string u64_le(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::uint64_t decode_u64_le(const std::string& bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

// A file made of a length prefix, `header` verbatim and `data_bytes` filler bytes.
std::string file_with_header(const std::string& header, std::size_t data_bytes) {
  return u64_le(header.size()) + header + std::string(data_bytes, '\x01');
}

// Same dtype, shape and (bit-exact) values.
void require_same_tensor(const Tensor& actual, const Tensor& expected) {
  REQUIRE(actual.defined());
  REQUIRE(actual.dtype() == expected.dtype());
  REQUIRE(actual.shape() == expected.shape());
  CHECK(actual.is_cpu());
  dispatch_dtype(expected.dtype(), [&](auto zero) {
    using T = decltype(zero);
    CHECK(actual.to_vector<T>() == expected.to_vector<T>());
  });
}

void require_same_dict(const nn::StateDict& actual, const nn::StateDict& expected) {
  REQUIRE(actual.size() == expected.size());
  for (const auto& [name, tensor] : expected) {
    INFO("tensor " << name);
    REQUIRE(actual.count(name) == 1);
    require_same_tensor(actual.at(name), tensor);
  }
}

nn::StateDict sample_tensors(Generator& gen) {
  return {
      {"conv.weight", randn({4, 3, 3, 3}, gen)},
      {"fc.bias", randn({5}, gen, DType::f64)},
      {"labels", from_vector<std::int64_t>({-3, 0, 7, std::int64_t{1} << 40}, {2, 2})},
      {"scale", scalar_tensor(2.5)},
      {"steps", scalar_tensor(42, DType::i64)},
      {"empty", zeros({0})},
      {"empty_2d", zeros({2, 0, 3}, DType::f64)},
  };
}

}  // namespace

TEST_CASE("f32, f64 and i64 tensors, 0-d and empty ones included, round-trip exactly",
          "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  Generator gen(1);
  const nn::StateDict tensors = sample_tensors(gen);
  const std::string path = dir.file("weights.safetensors");
  nn::write_safetensors(path, tensors);

  const nn::SafetensorsFile loaded = nn::read_safetensors(path);
  require_same_dict(loaded.tensors, tensors);
  CHECK(loaded.tensors.at("scale").dim() == 0);
  CHECK(loaded.metadata.empty());

  const nn::SafetensorsFile parsed = nn::parse_safetensors(read_bytes(path), "in-memory");
  require_same_dict(parsed.tensors, tensors);
  CHECK(dir.listing() == std::set<std::string>{"weights.safetensors"});
}

TEST_CASE("an empty state dict round-trips", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("nothing.safetensors");
  nn::write_safetensors(path, {}, {{"note", "no tensors"}});
  const nn::SafetensorsFile loaded = nn::read_safetensors(path);
  CHECK(loaded.tensors.empty());
  CHECK(loaded.metadata == std::map<std::string, std::string>{{"note", "no tensors"}});
}

TEST_CASE("non-contiguous tensors are written in logical row-major order", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  Generator gen(2);
  const Tensor base = randn({4, 6}, gen, DType::f64);
  const nn::StateDict views = {
      {"transposed", base.transpose(0, 1)},
      {"narrowed", base.narrow(1, 2, 3)},  // non-zero storage offset and a row stride of 6
      {"expanded", arange(3, DType::i64).unsqueeze(0).expand({4, 3})},  // stride 0
      {"permuted", randn({2, 3, 4}, gen).permute({2, 0, 1})},
  };
  for (const auto& [name, t] : views) REQUIRE_FALSE(t.is_contiguous());

  const std::string path = dir.file("views.safetensors");
  nn::write_safetensors(path, views);
  const nn::SafetensorsFile loaded = nn::read_safetensors(path);
  for (const auto& [name, t] : views) {
    INFO("tensor " << name);
    require_same_tensor(loaded.tensors.at(name), t.contiguous());
    CHECK(loaded.tensors.at(name).is_contiguous());
  }
}

TEST_CASE("metadata round-trips, including empty and non-ASCII values", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::map<std::string, std::string> metadata = {
      {"format", "pt"},
      {"epoch", "12"},
      {"empty", ""},
      {"config", R"({"depth": 50, "name": "hs-resnet"})"},
      {"note", "σ = 0.1, quotes \" and \\ backslash"},
  };
  const std::string path = dir.file("meta.safetensors");
  nn::write_safetensors(path, {{"w", ones({2})}}, metadata);
  const nn::SafetensorsFile loaded = nn::read_safetensors(path);
  CHECK(loaded.metadata == metadata);
  require_same_tensor(loaded.tensors.at("w"), ones({2}));
}

TEST_CASE("the file layout is the safetensors one, byte for byte", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const Tensor a = from_vector<float>({1.5f, -2.0f, 3.25f});
  const Tensor b = scalar_tensor(-0.125, DType::f64);
  const Tensor c = from_vector<std::int64_t>({5, -6}, {2, 1});
  const std::string path = dir.file("layout.safetensors");
  nn::write_safetensors(path, {{"c", c}, {"a", a}, {"b", b}}, {{"k", "v"}});
  const std::string bytes = read_bytes(path);

  REQUIRE(bytes.size() >= 8);
  const std::uint64_t header_length = decode_u64_le(bytes);
  CHECK(header_length % 8 == 0);
  const std::uint64_t data_bytes = 3 * 4 + 8 + 2 * 8;
  CHECK(bytes.size() == 8 + header_length + data_bytes);

  const std::string header_text = bytes.substr(8, header_length);
  // Padding, when present, is spaces at the end of the header.
  const std::size_t json_end = header_text.find_last_not_of(' ') + 1;
  CHECK(header_length - json_end < 8);
  const auto header = nlohmann::json::parse(header_text);
  REQUIRE(header.is_object());
  CHECK(header.size() == 4);
  CHECK(header["__metadata__"] == nlohmann::json{{"k", "v"}});

  // Tensors are packed in name order without gaps.
  CHECK(header["a"]["dtype"] == "F32");
  CHECK(header["a"]["shape"] == nlohmann::json::array({3}));
  CHECK(header["a"]["data_offsets"] == nlohmann::json::array({0, 12}));
  CHECK(header["b"]["dtype"] == "F64");
  CHECK(header["b"]["shape"] == nlohmann::json::array());
  CHECK(header["b"]["data_offsets"] == nlohmann::json::array({12, 20}));
  CHECK(header["c"]["dtype"] == "I64");
  CHECK(header["c"]["shape"] == nlohmann::json::array({2, 1}));
  CHECK(header["c"]["data_offsets"] == nlohmann::json::array({20, 36}));

  // The data section holds the raw little-endian values.
  const std::string data = bytes.substr(8 + header_length);
  std::string expected(data_bytes, '\0');
  std::memcpy(expected.data(), a.data_ptr(), 12);
  std::memcpy(expected.data() + 12, b.data_ptr(), 8);
  std::memcpy(expected.data() + 20, c.data_ptr(), 16);
  CHECK(data == expected);
}

TEST_CASE("files laid out differently by other writers are read", "[nn][safetensors]") {
  // Offsets out of key order, no metadata, an unpadded header, extra fields in an entry:
  // all valid safetensors.
  const std::string header = R"({"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16],"extra":1},)"
                             R"("a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})";
  std::string data(16, '\0');
  const std::int64_t a_value = -9;
  const float b_values[2] = {0.5f, 4.0f};
  std::memcpy(data.data(), &a_value, 8);
  std::memcpy(data.data() + 8, b_values, 8);
  const std::string bytes = u64_le(header.size()) + header + data;

  const nn::SafetensorsFile parsed = nn::parse_safetensors(bytes, "foreign");
  require_same_tensor(parsed.tensors.at("a"), from_vector<std::int64_t>({-9}));
  require_same_tensor(parsed.tensors.at("b"), from_vector<float>({0.5f, 4.0f}));
}

TEST_CASE("reading a missing file, a directory or a truncated prefix names the path",
          "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string missing = dir.file("missing.safetensors");
  CHECK_THROWS_AS(nn::read_safetensors(missing), Error);
  CHECK_THROWS_WITH(nn::read_safetensors(missing),
                    Contains(missing) && Contains("No such file or directory"));

  const std::string subdir = dir.file("a_directory");
  fs::create_directory(subdir);
  CHECK_THROWS_WITH(nn::read_safetensors(subdir),
                    Contains(subdir) && Contains("not a regular file"));

  const std::string empty = dir.file("empty.safetensors");
  write_bytes(empty, "");
  CHECK_THROWS_WITH(nn::read_safetensors(empty),
                    Contains(empty) && Contains("file is 0 bytes long"));

  const std::string short_file = dir.file("short.safetensors");
  write_bytes(short_file, std::string("\x05\x00\x00\x00\x00", 5));
  CHECK_THROWS_WITH(nn::read_safetensors(short_file),
                    Contains(short_file) && Contains("file is 5 bytes long") &&
                        Contains("shorter than the 8-byte header length"));
  CHECK_THROWS_WITH(nn::parse_safetensors(std::string("\x05\x00\x00", 3), "tiny"),
                    Contains("tiny") && Contains("file is 3 bytes long"));
}

TEST_CASE("a header length beyond the end of the file is rejected with the byte counts",
          "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("long_header.safetensors");
  const std::string header = R"({"__metadata__":{}})";
  const std::string bytes = u64_le(1000) + header;
  write_bytes(path, bytes);
  const std::string file_size = std::to_string(bytes.size());
  CHECK_THROWS_WITH(nn::read_safetensors(path),
                    Contains(path) && Contains("header length 1000 bytes") &&
                        Contains("than the " + std::to_string(header.size()) + " bytes") &&
                        Contains("file size " + file_size + " bytes"));

  // A length near 2^64 must not wrap around in the bounds check.
  const std::string huge = u64_le(~std::uint64_t{0}) + header;
  write_bytes(path, huge);
  CHECK_THROWS_WITH(nn::read_safetensors(path),
                    Contains(path) && Contains("header length 18446744073709551615 bytes"));
  CHECK_THROWS_WITH(nn::parse_safetensors(huge, "huge"),
                    Contains("huge") && Contains("18446744073709551615"));
}

TEST_CASE("a header longer than the 100 MB limit is refused before it is read",
          "[nn][safetensors][limits]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("huge_header.safetensors");
  // A sparse file: 200 MB long on paper, no disk blocks, so the test costs nothing.
  write_bytes(path, u64_le(std::uint64_t{150} << 20));
  fs::resize_file(path, std::uint64_t{200} << 20);
  CHECK_THROWS_WITH(nn::read_safetensors(path),
                    Contains(path) && Contains("header length 157286400 bytes") &&
                        Contains("more than the limit of 104857600 bytes"));
}

TEST_CASE(
    "tensor byte ranges beyond the file and overflowing shapes are refused before "
    "allocation",
    "[nn][safetensors][limits]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("claims.safetensors");
  // A tensor of 2^40 floats in a file of a few bytes: refused by its byte range, never
  // allocated (an allocation of 4 TiB would throw std::bad_alloc, not hs::Error).
  write_bytes(
      path,
      file_with_header(
          R"({"w":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}})", 8));
  CHECK_THROWS_WITH(nn::read_safetensors(path),
                    Contains(path) && Contains("lies beyond the data section"));
  write_bytes(
      path,
      file_with_header(
          R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8));
  CHECK_THROWS_WITH(nn::read_safetensors(path), Contains(path) && Contains("too many elements"));
}

TEST_CASE("malformed headers are rejected naming the file and the key or offset",
          "[nn][safetensors]") {
  struct Case {
    std::string description, header;
    std::size_t data_bytes;
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"invalid JSON", R"({"w": {"dtype": "F32")", 0, {"header is not valid JSON"}},
      // A number beyond a double: the JSON parser's out_of_range, not a parse error (fuzzing
      // found it escaping as a non-hs::Error exception).
      {"number overflowing a double", R"({"w": 1E400})", 0, {"header is not valid JSON"}},
      {"JSON array", "[1, 2]", 0, {"header is a JSON array, not an object"}},
      {"entry not an object", R"({"w": 3})", 0, {"tensor 'w' is a JSON number, not an object"}},
      {"missing dtype",
       R"({"w": {"shape": [1], "data_offsets": [0, 4]}})",
       4,
       {"tensor 'w' has no \"dtype\""}},
      {"missing shape",
       R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})",
       4,
       {"tensor 'w' has no \"shape\""}},
      {"missing data_offsets",
       R"({"w": {"dtype": "F32", "shape": [1]}})",
       4,
       {"tensor 'w' has no \"data_offsets\""}},
      {"unknown dtype",
       R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})",
       4,
       {"tensor 'w' has unsupported dtype \"BF16\""}},
      {"dtype not a string",
       R"({"w": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}})",
       4,
       {"tensor 'w': dtype 7 is not a string"}},
      {"negative extent",
       R"({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 0]}})",
       0,
       {"tensor 'w': shape holds negative -2"}},
      {"fractional extent",
       R"({"w": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}})",
       8,
       {"tensor 'w': shape holds 2.5, not an integer"}},
      {"shape not an array",
       R"({"w": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}})",
       8,
       {"tensor 'w': shape \"2\" is not an array"}},
      {"too many dims",
       R"({"w": {"dtype": "F32", "shape": [1,1,1,1,1,1,1,1,1], "data_offsets": [0, 4]}})",
       4,
       {"tensor 'w' has 9 dims"}},
      {"element count overflows",
       R"({"w": {"dtype": "F32", "shape": [4611686018427387904, 4611686018427387904],)"
       R"( "data_offsets": [0, 0]}})",
       0,
       {"tensor 'w': shape", "too many elements"}},
      {"byte count does not match the shape",
       R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}})",
       12,
       {"tensor 'w': data_offsets [0, 12] span 12 bytes", "shape [2] of F32 needs 2 x 4 bytes"}},
      {"offsets not a pair",
       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}})",
       4,
       {"tensor 'w': data_offsets [0] is not a [begin, end] pair"}},
      {"negative offset",
       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})",
       4,
       {"tensor 'w': data_offsets holds negative -4"}},
      {"offsets beyond the data section",
       R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})",
       8,
       {"tensor 'w': data_offsets end 16 lies beyond the data section, which holds 8 bytes"}},
      {"offsets out of order",
       R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}})",
       8,
       {"tensor 'w': data_offsets [8, 4] are out of order"}},
      {"overlapping tensors",
       R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
       R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
       12,
       {"tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]"}},
      {"gap between tensors",
       R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
       R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
       12,
       {"tensor 'b' starts at data byte 8", "end at byte 4"}},
      {"gap before the first tensor",
       R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
       8,
       {"tensor 'a' starts at data byte 4"}},
      {"trailing garbage",
       R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
       9,
       {"5 bytes of trailing data", "tensors end at data byte 4"}},
      {"metadata not an object",
       R"({"__metadata__": [1]})",
       0,
       {"__metadata__ is a JSON array, not an object"}},
      {"metadata value not a string",
       R"({"__metadata__": {"epoch": 3}})",
       0,
       {"__metadata__ entry 'epoch' holds 3, not a string"}},
  };

  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("corrupt.safetensors");
  for (const Case& c : cases) {
    INFO("case: " << c.description);
    const std::string bytes = file_with_header(c.header, c.data_bytes);
    write_bytes(path, bytes);
    CHECK_THROWS_AS(nn::read_safetensors(path), Error);
    CHECK_THROWS_AS(nn::parse_safetensors(bytes, "corrupt-bytes"), Error);
    for (const std::string& part : c.expected) {
      CHECK_THROWS_WITH(nn::read_safetensors(path), Contains(path) && Contains(part));
      CHECK_THROWS_WITH(nn::parse_safetensors(bytes, "corrupt-bytes"),
                        Contains("corrupt-bytes") && Contains(part));
    }
  }
}

TEST_CASE("a failed write leaves an existing file byte-identical and no temporary behind",
          "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  Generator gen(3);
  const std::string path = dir.file("model.safetensors");
  nn::write_safetensors(path, sample_tensors(gen), {{"epoch", "1"}});
  const std::string original = read_bytes(path);
  const std::set<std::string> listing = dir.listing();

  SECTION("an undefined tensor") {
    nn::StateDict tensors = sample_tensors(gen);
    tensors["broken"] = Tensor();
    CHECK_THROWS_WITH(nn::write_safetensors(path, tensors),
                      Contains(path) && Contains("tensor 'broken' is undefined"));
  }
  SECTION("a tensor named like the metadata table") {
    CHECK_THROWS_WITH(nn::write_safetensors(path, {{"__metadata__", ones({1})}}),
                      Contains(path) && Contains("'__metadata__' is reserved"));
  }
  SECTION("the target is a directory, so the final rename fails") {
    const std::string target = dir.file("a_directory");
    fs::create_directory(target);
    const std::set<std::string> with_directory = dir.listing();
    CHECK_THROWS_WITH(nn::write_safetensors(target, {{"w", ones({3})}}),
                      Contains(target) && Contains("cannot rename"));
    CHECK(fs::is_directory(target));
    CHECK(fs::is_empty(target));
    CHECK(dir.listing() == with_directory);
    fs::remove(target);
  }
  CHECK(read_bytes(path) == original);
  CHECK(dir.listing() == listing);
}

// Lowers the process's file size limit, so that writes past it fail with EFBIG as on a full
// disk, and restores the limit (and the SIGXFSZ handler) at scope exit.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    saved_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved_;
    lowered.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, saved_handler_);
  }

 private:
  rlimit saved_{};
  void (*saved_handler_)(int) = nullptr;
};

TEST_CASE("a write that fails halfway leaves the previous file intact", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("model.safetensors");
  nn::write_safetensors(path, {{"w", ones({4})}}, {{"epoch", "1"}});
  const std::string original = read_bytes(path);
  const std::set<std::string> listing = dir.listing();

  std::string message;
  {
    // Nothing is asserted while the limit holds: a failure report could not be written.
    FileSizeLimit limit(4096);
    try {
      nn::write_safetensors(path, {{"w", zeros({100000})}});
    } catch (const Error& e) {
      message = e.what();
    }
  }
  CHECK_THAT(message, Contains(path) && Contains("File too large"));
  CHECK(read_bytes(path) == original);
  CHECK(dir.listing() == listing);
}

TEST_CASE("writing into a missing directory fails without creating anything", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  const std::string path = dir.file("no_such_dir/model.safetensors");
  CHECK_THROWS_AS(nn::write_safetensors(path, {{"w", ones({3})}}), Error);
  CHECK_THROWS_WITH(nn::write_safetensors(path, {{"w", ones({3})}}),
                    Contains(path) && Contains("No such file or directory"));
  CHECK(dir.listing().empty());
}

TEST_CASE("a successful write replaces the previous file completely", "[nn][safetensors]") {
  TempDir dir("hsnet-test-safetensors");
  Generator gen(4);
  const std::string path = dir.file("model.safetensors");
  nn::write_safetensors(path, sample_tensors(gen), {{"epoch", "1"}});
  const nn::StateDict second = {{"only", randn({2, 2}, gen)}};
  nn::write_safetensors(path, second, {{"epoch", "2"}});

  const nn::SafetensorsFile loaded = nn::read_safetensors(path);
  require_same_dict(loaded.tensors, second);
  CHECK(loaded.metadata == std::map<std::string, std::string>{{"epoch", "2"}});
  CHECK(dir.listing() == std::set<std::string>{"model.safetensors"});
}
