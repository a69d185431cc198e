// Dataset readers: IDX (plain and gzip), CIFAR-10, CIFAR-100 on small files written here,
// every kind of malformed input, the name-based front end, subset, and — when the Debian
// package is installed — the real Fashion-MNIST files.
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "data/cifar.h"
#include "data/datasets.h"
#include "data/file_bytes.h"
#include "data/idx.h"
#include "test_util/temp_dir.h"

using namespace hs;
using namespace hs::data;
using Bytes = std::vector<std::uint8_t>;
using Catch::Contains;
namespace fs = std::filesystem;

using hs::test::TempDir;

namespace {

void write_file(const std::string& path, const Bytes& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

// Writes `bytes` gzip-compressed; mode "ab" appends a second gzip member.
void write_gz(const std::string& path, const Bytes& bytes, const char* mode = "wb") {
  gzFile file = gzopen(path.c_str(), mode);
  REQUIRE(file != nullptr);
  REQUIRE(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(file) == Z_OK);
}

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void push_be32(Bytes& bytes, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<std::uint8_t>(v >> shift));
}

std::uint8_t pattern(std::int64_t i, std::int64_t k) {
  return static_cast<std::uint8_t>((i * 37 + k * 11 + 5) % 256);
}

// Pixels of n images of h x w, image i's k-th byte being pattern(i, k).
Bytes image_pixels(std::int64_t n, std::int64_t size) {
  Bytes pixels;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < size; ++k) pixels.push_back(pattern(i, k));
  return pixels;
}

Bytes idx_images(std::int64_t n, std::int64_t h, std::int64_t w) {
  Bytes bytes;
  push_be32(bytes, 0x00000803);
  push_be32(bytes, n);
  push_be32(bytes, h);
  push_be32(bytes, w);
  const Bytes pixels = image_pixels(n, h * w);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

Bytes idx_labels(const Bytes& labels) {
  Bytes bytes;
  push_be32(bytes, 0x00000801);
  push_be32(bytes, labels.size());
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

void check_images(const ImageDataset& ds, std::int64_t n, std::int64_t c, std::int64_t h,
                  std::int64_t w) {
  REQUIRE(ds.n == n);
  REQUIRE(ds.channels == c);
  REQUIRE(ds.height == h);
  REQUIRE(ds.width == w);
  CHECK(ds.pixels == image_pixels(n, c * h * w));
}

// A CIFAR file: per record the label bytes, then c*32*32 pixels of pattern(first + r, k).
Bytes cifar_records(const std::vector<Bytes>& labels, std::int64_t first) {
  Bytes bytes;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    bytes.insert(bytes.end(), labels[r].begin(), labels[r].end());
    for (std::int64_t k = 0; k < 3072; ++k)
      bytes.push_back(pattern(first + static_cast<std::int64_t>(r), k));
  }
  return bytes;
}

// Writes CIFAR-10 batches to dir: data_batch_k.bin with counts[k-1] records, test_batch.bin
// with 3; labels run 0, 1, ..., 9, 0, ... over the training set.
void write_cifar10(const std::string& dir, const std::vector<int>& counts) {
  std::int64_t first = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    std::vector<Bytes> labels;
    for (int r = 0; r < counts[b]; ++r)
      labels.push_back({static_cast<std::uint8_t>((first + r) % 10)});
    write_file(dir + "/data_batch_" + std::to_string(b + 1) + ".bin", cifar_records(labels, first));
    first += counts[b];
  }
  write_file(dir + "/test_batch.bin", cifar_records({{9}, {4}, {0}}, 0));
}

}  // namespace

TEST_CASE("read_idx reads plain IDX images and labels", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_file(dir / "images", idx_images(3, 4, 5));
  write_file(dir / "labels", idx_labels({3, 0, 9}));
  const ImageDataset ds = read_idx(dir / "images", dir / "labels");
  check_images(ds, 3, 1, 4, 5);
  CHECK(ds.labels == std::vector<std::int64_t>{3, 0, 9});
  CHECK(ds.num_classes == 10);
  REQUIRE(ds.class_names.size() == 10);
  CHECK(ds.class_names[7] == "7");
  CHECK(ds.image(1)[0] == pattern(1, 0));
}

TEST_CASE("read_idx recognises gzip by its magic bytes, not by the file name", "[data]") {
  TempDir dir("hsnet-test-readers");
  // Compressed data under a plain name, plain data under a .gz name.
  write_gz(dir / "images.bin", idx_images(6, 28, 28));
  write_file(dir / "labels.gz", idx_labels({1, 2, 3, 4, 5, 6}));
  const ImageDataset ds = read_idx(dir / "images.bin", dir / "labels.gz");
  check_images(ds, 6, 1, 28, 28);
  CHECK(ds.labels == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("read_idx reads gzip files made of several members", "[data]") {
  // The last member's size field (the first guess for the buffer) then covers only the
  // tail, so the output buffer must grow.
  TempDir dir("hsnet-test-readers");
  const Bytes images = idx_images(200, 28, 28);
  const std::size_t split = 150000;
  write_gz(dir / "images.gz", Bytes(images.begin(), images.begin() + split));
  write_gz(dir / "images.gz", Bytes(images.begin() + split, images.end()), "ab");
  write_gz(dir / "labels.gz", idx_labels(Bytes(200, 7)));
  const ImageDataset ds = read_idx(dir / "images.gz", dir / "labels.gz");
  check_images(ds, 200, 1, 28, 28);
  CHECK(ds.labels == std::vector<std::int64_t>(200, 7));
}

TEST_CASE("load_fashion_mnist and load_mnist read the standard file names", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_gz(dir / "train-images-idx3-ubyte.gz", idx_images(4, 28, 28));
  write_gz(dir / "train-labels-idx1-ubyte.gz", idx_labels({9, 0, 0, 3}));
  write_file(dir / "t10k-images-idx3-ubyte", idx_images(2, 28, 28));
  write_file(dir / "t10k-labels-idx1-ubyte", idx_labels({5, 8}));

  const ImageDataset train = load_fashion_mnist(dir.path().string(), true);
  check_images(train, 4, 1, 28, 28);
  CHECK(train.labels == std::vector<std::int64_t>{9, 0, 0, 3});
  CHECK(train.name == "fashion-mnist");
  REQUIRE(train.class_names.size() == 10);
  CHECK(train.class_names[0] == "T-shirt/top");
  CHECK(train.class_names[9] == "Ankle boot");

  const ImageDataset test = load_mnist(dir.path().string(), false);
  check_images(test, 2, 1, 28, 28);
  CHECK(test.labels == std::vector<std::int64_t>{5, 8});
  CHECK(test.name == "mnist");
  CHECK(test.class_names[5] == "5");

  const ImageDataset by_name = load_dataset("fashion-mnist", dir.path().string(), false);
  CHECK(by_name.labels == test.labels);
  CHECK(by_name.pixels == test.pixels);
}

TEST_CASE("read_idx rejects missing, malformed and mismatched files", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_file(dir / "images", idx_images(3, 4, 5));
  write_file(dir / "labels", idx_labels({3, 0, 9}));

  SECTION("missing file") {
    REQUIRE_THROWS_WITH(read_idx(dir / "absent-images", dir / "labels"),
                        Contains("absent-images") && Contains("No such file or directory"));
    REQUIRE_THROWS_WITH(load_fashion_mnist(dir.path().string(), true),
                        Contains("cannot find") && Contains("train-images-idx3-ubyte") &&
                            Contains("train-images-idx3-ubyte.gz"));
  }
  SECTION("a directory instead of a file") {
    fs::create_directories(dir / "folder");
    REQUIRE_THROWS_WITH(read_idx(dir / "folder", dir / "labels"),
                        Contains("folder") && Contains("Is a directory"));
  }
  SECTION("bad magic") {
    REQUIRE_THROWS_WITH(
        read_idx(dir / "labels", dir / "labels"),
        Contains("labels") && Contains("bad magic 0x00000801") && Contains("expected 0x00000803"));
    Bytes wrong_type = read_file(dir / "images");
    wrong_type[2] = 0x0d;  // IDX float data
    write_file(dir / "floats", wrong_type);
    REQUIRE_THROWS_WITH(read_idx(dir / "floats", dir / "labels"),
                        Contains("floats") && Contains("bad magic 0x00000d03"));
  }
  SECTION("file shorter than its header") {
    write_file(dir / "stub", {0, 0, 8, 3, 0, 0});
    REQUIRE_THROWS_WITH(read_idx(dir / "stub", dir / "labels"),
                        Contains("stub") && Contains("truncated header"));
    write_file(dir / "tiny", {0, 0});
    REQUIRE_THROWS_WITH(read_idx(dir / "tiny", dir / "labels"),
                        Contains("tiny") && Contains("too short"));
  }
  SECTION("truncated data") {
    Bytes bytes = read_file(dir / "images");
    bytes.resize(bytes.size() - 5);
    write_file(dir / "short", bytes);
    REQUIRE_THROWS_WITH(read_idx(dir / "short", dir / "labels"),
                        Contains("short") && Contains("wrong size (truncated)") &&
                            Contains("3x4x5") && Contains("holds 71"));
  }
  SECTION("trailing bytes") {
    Bytes bytes = read_file(dir / "labels");
    bytes.push_back(0);
    write_file(dir / "long", bytes);
    REQUIRE_THROWS_WITH(read_idx(dir / "images", dir / "long"),
                        Contains("long") && Contains("wrong size (trailing bytes)"));
  }
  SECTION("label out of range") {
    write_file(dir / "bad-labels", idx_labels({3, 0, 10}));
    REQUIRE_THROWS_WITH(
        read_idx(dir / "images", dir / "bad-labels"),
        Contains("bad-labels") && Contains("label 10 at index 2") && Contains("[0, 10)"));
    REQUIRE_NOTHROW(read_idx(dir / "images", dir / "bad-labels", 11));
    REQUIRE_THROWS_WITH(read_idx(dir / "images", dir / "labels", 0), Contains("num_classes"));
  }
  SECTION("images with a side of 0 pixels (found by fuzz_idx)") {
    write_file(dir / "flat", idx_images(3, 0, 5));
    REQUIRE_THROWS_WITH(read_idx(dir / "flat", dir / "labels"),
                        Contains("flat") && Contains("0x5 pixels"));
    write_file(dir / "thin", idx_images(3, 4, 0));
    REQUIRE_THROWS_WITH(read_idx(dir / "thin", dir / "labels"), Contains("4x0 pixels"));
  }
  SECTION("image and label counts differ") {
    write_file(dir / "two-labels", idx_labels({3, 0}));
    REQUIRE_THROWS_WITH(read_idx(dir / "images", dir / "two-labels"),
                        Contains("3 images") && Contains("two-labels holds 2 labels") &&
                            Contains("count mismatch"));
  }
  SECTION("truncated gzip") {
    write_gz(dir / "images.gz", idx_images(3, 4, 5));
    Bytes gz = read_file(dir / "images.gz");
    gz.resize(gz.size() / 2);
    write_file(dir / "images.gz", gz);
    REQUIRE_THROWS_WITH(read_idx(dir / "images.gz", dir / "labels"),
                        Contains("images.gz") && Contains("gzip data is truncated"));
    write_file(dir / "images.gz", Bytes{0x1f, 0x8b});  // the magic bytes and nothing else
    REQUIRE_THROWS_WITH(read_idx(dir / "images.gz", dir / "labels"),
                        Contains("gzip data is truncated"));
  }
  SECTION("corrupt gzip") {
    write_gz(dir / "images.gz", idx_images(3, 4, 5));
    Bytes gz = read_file(dir / "images.gz");
    gz[2] = 7;  // compression method: only 8 (deflate) exists
    write_file(dir / "images.gz", gz);
    REQUIRE_THROWS_WITH(read_idx(dir / "images.gz", dir / "labels"),
                        Contains("images.gz") && Contains("corrupt gzip data"));
  }
}

TEST_CASE("load_cifar10 reads the five training batches and the test batch", "[data]") {
  TempDir dir("hsnet-test-readers");
  const std::vector<int> counts = {2, 3, 1, 2, 2};
  write_cifar10(dir / "cifar-10-batches-bin", counts);

  // Both the archive's folder and its parent are accepted.
  for (const std::string& where : {dir.path().string(), dir.file("cifar-10-batches-bin")}) {
    const ImageDataset train = load_cifar10(where, true);
    check_images(train, 10, 3, 32, 32);
    for (std::int64_t i = 0; i < 10; ++i) CHECK(train.labels[i] == i % 10);
    // The record's bytes are the R, G and B planes: NCHW as they are.
    CHECK(train.image(4)[1024 + 33] == pattern(4, 1024 + 33));
    CHECK(train.num_classes == 10);
    CHECK(train.class_names.front() == "airplane");
    CHECK(train.class_names.back() == "truck");
    CHECK(train.name == "cifar10");
  }
  const ImageDataset test = load_dataset("cifar10", dir.path().string(), false);
  check_images(test, 3, 3, 32, 32);
  CHECK(test.labels == std::vector<std::int64_t>{9, 4, 0});
}

TEST_CASE("load_cifar10 rejects missing and malformed batches", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_cifar10(dir.path().string(), {1, 1, 1, 1, 1});

  SECTION("no CIFAR files at all") {
    TempDir empty("hsnet-test-readers");
    REQUIRE_THROWS_WITH(load_cifar10(empty.path().string(), true),
                        Contains("cannot find") && Contains("data_batch_1.bin") &&
                            Contains("cifar-10-batches-bin"));
  }
  SECTION("one batch missing") {
    fs::remove(dir / "data_batch_3.bin");
    REQUIRE_THROWS_WITH(load_cifar10(dir.path().string(), true),
                        Contains("load_cifar10") && Contains("data_batch_3.bin") &&
                            Contains("No such file or directory"));
  }
  SECTION("size not a multiple of the record") {
    Bytes bytes = read_file(dir / "data_batch_2.bin");
    bytes.resize(bytes.size() + 100);
    write_file(dir / "data_batch_2.bin", bytes);
    REQUIRE_THROWS_WITH(load_cifar10(dir.path().string(), true), Contains("data_batch_2.bin") &&
                                                                     Contains("3173 bytes") &&
                                                                     Contains("3073-byte record"));
    write_file(dir / "test_batch.bin", {});
    REQUIRE_THROWS_WITH(load_cifar10(dir.path().string(), false),
                        Contains("test_batch.bin") && Contains("0 bytes"));
  }
  SECTION("label out of range") {
    write_file(dir / "data_batch_5.bin", cifar_records({{1}, {10}}, 0));
    REQUIRE_THROWS_WITH(
        load_cifar10(dir.path().string(), true),
        Contains("data_batch_5.bin") && Contains("label 10 of record 1") && Contains("[0, 10)"));
  }
}

TEST_CASE("load_cifar100 reads fine or coarse labels", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_file(dir / "cifar-100-binary/train.bin", cifar_records({{19, 99}, {0, 0}, {4, 51}}, 0));
  write_file(dir / "cifar-100-binary/test.bin", cifar_records({{7, 12}}, 0));

  const ImageDataset fine = load_cifar100(dir.path().string(), true);
  check_images(fine, 3, 3, 32, 32);
  CHECK(fine.labels == std::vector<std::int64_t>{99, 0, 51});
  CHECK(fine.num_classes == 100);
  REQUIRE(fine.class_names.size() == 100);
  CHECK(fine.class_names[0] == "apple");
  CHECK(fine.class_names[99] == "worm");
  CHECK(fine.name == "cifar100");

  const ImageDataset coarse = load_cifar100(dir / "cifar-100-binary", true, true);
  CHECK(coarse.pixels == fine.pixels);
  CHECK(coarse.labels == std::vector<std::int64_t>{19, 0, 4});
  CHECK(coarse.num_classes == 20);
  REQUIRE(coarse.class_names.size() == 20);
  CHECK(coarse.class_names[0] == "aquatic_mammals");
  CHECK(coarse.class_names[19] == "vehicles_2");

  const ImageDataset test = load_dataset("cifar100", dir.path().string(), false);
  CHECK(test.labels == std::vector<std::int64_t>{12});
}

TEST_CASE("load_cifar100 rejects malformed files", "[data]") {
  TempDir dir("hsnet-test-readers");
  SECTION("CIFAR-10 records are not CIFAR-100 records") {
    write_file(dir / "train.bin", cifar_records({{1}, {2}}, 0));
    REQUIRE_THROWS_WITH(load_cifar100(dir.path().string(), true),
                        Contains("train.bin") && Contains("3074-byte record"));
  }
  SECTION("fine label out of range") {
    write_file(dir / "train.bin", cifar_records({{1, 2}, {3, 4}, {5, 100}}, 0));
    REQUIRE_THROWS_WITH(load_cifar100(dir.path().string(), true),
                        Contains("label 100 of record 2") && Contains("[0, 100)"));
  }
  SECTION("coarse label out of range") {
    write_file(dir / "test.bin", cifar_records({{20, 2}}, 0));
    REQUIRE_NOTHROW(load_cifar100(dir.path().string(), false));
    REQUIRE_THROWS_WITH(
        load_cifar100(dir.path().string(), false, true),
        Contains("test.bin") && Contains("label 20 of record 0") && Contains("[0, 20)"));
  }
  SECTION("missing") {
    REQUIRE_THROWS_WITH(load_cifar100(dir.path().string(), false),
                        Contains("cannot find") && Contains("test.bin"));
  }
}

TEST_CASE("datasets are known by name", "[data]") {
  CHECK(dataset_names() ==
        std::vector<std::string>{"fashion-mnist", "mnist", "cifar10", "cifar100", "folder"});
  // The Debian package's folder when installed, else where `hsnet data download` puts it.
  for (const std::string name : {"fashion-mnist", "mnist"}) {
    const std::string debian = "/usr/share/datasets/" + name;
    CHECK(default_data_dir(name) ==
          (std::filesystem::is_directory(debian) ? debian : "data/" + name));
    CHECK(download_dir(name) == "data/" + name);
  }
  CHECK(default_data_dir("cifar10") == "data/cifar-10-batches-bin");
  CHECK(default_data_dir("cifar100") == "data/cifar-100-binary");
  CHECK(download_command("cifar10", "data/cifar-10-batches-bin") == "hsnet data download cifar10");
  CHECK(download_command("cifar10", "/tmp/c") == "hsnet data download cifar10 --dir /tmp/c");
  REQUIRE_THROWS_WITH(load_dataset("cifar100", "no/such/cifar", true),
                      Contains("no cifar100 data in no/such/cifar") &&
                          Contains("`hsnet data download cifar100 --dir no/such/cifar`"));
  REQUIRE_THROWS_WITH(load_dataset("folder", "", true), Contains("needs a directory"));
  REQUIRE_THROWS_WITH(load_dataset("imagenet", "", true),
                      Contains("unknown dataset 'imagenet'") &&
                          Contains("fashion-mnist, mnist, cifar10, cifar100"));
  REQUIRE_THROWS_WITH(default_data_dir("CIFAR10"), Contains("unknown dataset 'CIFAR10'"));

  const auto cifar = known_channel_stats("cifar10");
  REQUIRE(cifar.has_value());
  CHECK(cifar->mean == std::vector<float>{0.4914f, 0.4822f, 0.4465f});
  CHECK(cifar->std == std::vector<float>{0.2470f, 0.2435f, 0.2616f});
  const auto fashion = known_channel_stats("fashion-mnist");
  REQUIRE(fashion.has_value());
  CHECK(fashion->mean == std::vector<float>{0.2860f});
  CHECK(fashion->std == std::vector<float>{0.3530f});
  CHECK_FALSE(known_channel_stats("imagenet").has_value());
}

TEST_CASE("subset keeps the first images", "[data]") {
  TempDir dir("hsnet-test-readers");
  write_file(dir / "images", idx_images(5, 2, 3));
  write_file(dir / "labels", idx_labels({4, 3, 2, 1, 0}));
  const ImageDataset ds = read_idx(dir / "images", dir / "labels");

  const ImageDataset first = subset(ds, 2);
  check_images(first, 2, 1, 2, 3);
  CHECK(first.labels == std::vector<std::int64_t>{4, 3});
  CHECK(first.class_names == ds.class_names);
  CHECK(first.name == ds.name);

  CHECK(subset(ds, 99).pixels == ds.pixels);
  CHECK(subset(ds, 0).n == 0);
  CHECK(subset(ds, 0).pixels.empty());
  REQUIRE_THROWS_WITH(subset(ds, -1), Contains("subset") && Contains("-1"));
}

TEST_CASE("a file or gzip stream larger than the limit is refused before it is allocated",
          "[data][limits]") {
  TempDir dir("hsnet-test-readers");
  // 8 MB of zeros compress to a few kilobytes: a small gzip bomb against a 1 MB limit.
  write_gz(dir / "bomb.gz", Bytes(8 << 20, 0));
  REQUIRE(fs::file_size(dir / "bomb.gz") < (64 << 10));
  CHECK_THROWS_WITH(read_file_bytes(dir / "bomb.gz", "test", 1 << 20),
                    Contains("bomb.gz") && Contains("larger than the limit of 1048576 bytes"));
  write_file(dir / "plain.bin", Bytes(3 << 20, 1));
  CHECK_THROWS_WITH(read_file_bytes(dir / "plain.bin", "test", 1 << 20),
                    Contains("plain.bin") && Contains("larger than the limit of 1048576 bytes"));
  // Under the limit the same data is read whole.
  CHECK(read_file_bytes(dir / "bomb.gz", "test", 16 << 20).size() == std::size_t{8} << 20);
  CHECK(read_file_bytes(dir / "plain.bin", "test", 16 << 20).size() == std::size_t{3} << 20);
}

TEST_CASE("IDX dimensions whose product overflows are refused", "[data][limits]") {
  TempDir dir("hsnet-test-readers");
  Bytes images;
  push_be32(images, 0x00000803);
  for (int d = 0; d < 3; ++d) push_be32(images, 0xffffffffu);
  images.resize(images.size() + 64, 0);
  write_file(dir / "images", images);
  write_file(dir / "labels", idx_labels({1}));
  CHECK_THROWS_WITH(read_idx(dir / "images", dir / "labels"),
                    Contains("images") && Contains("wrong size (truncated)") &&
                        Contains("4294967295x4294967295x4294967295"));
}
