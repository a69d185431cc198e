// Downloads (data/download.h) against a local HTTP server serving archives this test builds:
// a good archive and good plain files land complete in their folder; a wrong checksum, a
// transfer cut short, a truncated archive, no server, a missing file, a full disk, an archive
// escaping its folder or lacking the expected one are hs::Errors naming what failed, and
// leave nothing behind but what was there before.
#include <archive.h>
#include <archive_entry.h>
#include <nettle/md5.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/download.h"
#include "test_util/temp_dir.h"
#include "tests/data/http_server_util.h"
#include "tests/data/image_tree_util.h"

using namespace hs;
using namespace hs::data;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;  // path, contents

std::vector<std::uint8_t> tar_gz(const Files& files) {
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  std::vector<std::uint8_t> buffer(1 << 20);
  size_t used = 0;
  REQUIRE(archive_write_open_memory(a, buffer.data(), buffer.size(), &used) == ARCHIVE_OK);
  for (const auto& [path, contents] : files) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(contents.size()));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    REQUIRE(archive_write_data(a, contents.data(), contents.size()) ==
            static_cast<la_ssize_t>(contents.size()));
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  buffer.resize(used);
  return buffer;
}

std::string md5_hex(const std::vector<std::uint8_t>& bytes) {
  md5_ctx ctx;
  md5_init(&ctx);
  md5_update(&ctx, bytes.size(), bytes.data());
  std::uint8_t digest[MD5_DIGEST_SIZE];
  md5_digest(&ctx, MD5_DIGEST_SIZE, digest);
  std::ostringstream os;
  for (std::uint8_t b : digest) os << "0123456789abcdef"[b >> 4] << "0123456789abcdef"[b & 15];
  return os.str();
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

const Files kToyFiles = {{"toy-folder/a.bin", std::string("\x01\x02\x03", 3)},
                         {"toy-folder/sub/b.txt", "hello"},
                         {"toy-folder/c.txt", std::string(100000, 'c')}};

// A folder served over HTTP, and an archive dataset source pointing at it.
struct Fixture {
  test::TempDir temp{"hsnet-test-download"};
  fs::path served = temp.path() / "served", data = temp.path() / "data";
  fs::path target = data / "toy";
  Fixture() {
    fs::create_directories(served);
    fs::create_directories(data);
    test::write_bytes(data / "keep.txt", {'k'});  // what was there before stays
  }
  DatasetSource serve_archive(const std::vector<std::uint8_t>& archive) {
    test::write_bytes(served / "toy.tar.gz", archive);
    return {"toy", "", {{"toy.tar.gz", md5_hex(archive)}}, "toy-folder"};
  }
  // Nothing but the file that was there before, and no staging folder.
  void check_untouched() const { CHECK(entries(data) == std::set<std::string>{"keep.txt"}); }
};

}  // namespace

TEST_CASE("a good archive is unpacked into its folder", "[data][download]") {
  Fixture f;
  const DatasetSource source = f.serve_archive(tar_gz(kToyFiles));
  test::LocalServer server(f.served);
  std::ostringstream log;
  download_dataset(source, server.url(), f.target.string(), &log);
  CHECK(read_text(f.target / "a.bin") == std::string("\x01\x02\x03", 3));
  CHECK(read_text(f.target / "sub/b.txt") == "hello");
  CHECK(read_text(f.target / "c.txt") == std::string(100000, 'c'));
  CHECK(entries(f.data) == std::set<std::string>{"keep.txt", "toy"});
  CHECK_THAT(log.str(), Contains("fetching " + server.url() + "toy.tar.gz"));
  REQUIRE_THROWS_WITH(download_dataset(source, server.url(), f.target.string()),
                      Contains("already exists"));
}

TEST_CASE("plain files make up the folder as they are", "[data][download]") {
  Fixture f;
  const std::vector<std::uint8_t> one = {1, 2, 3}, two = {4, 5};
  test::write_bytes(f.served / "one.gz", one);
  test::write_bytes(f.served / "two.gz", two);
  const DatasetSource source{"idx", "", {{"one.gz", md5_hex(one)}, {"two.gz", md5_hex(two)}}, ""};
  test::LocalServer server(f.served);
  download_dataset(source, server.url(), f.target.string());
  CHECK(entries(f.target) == std::set<std::string>{"one.gz", "two.gz"});
  CHECK(read_text(f.target / "two.gz") == "\x04\x05");
  CHECK(entries(f.data) == std::set<std::string>{"keep.txt", "toy"});
}

TEST_CASE("a failed download leaves nothing behind", "[data][download]") {
  Fixture f;
  const std::vector<std::uint8_t> archive = tar_gz(kToyFiles);
  DatasetSource source = f.serve_archive(archive);
  std::string base;
  std::unique_ptr<test::LocalServer> server;
  auto serve = [&] {
    server = std::make_unique<test::LocalServer>(f.served);
    base = server->url();
  };
  SECTION("wrong checksum") {
    source.files[0].md5 = "00000000000000000000000000000000";
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains(base + "toy.tar.gz has MD5 " + md5_hex(archive)) &&
                            Contains("00000000000000000000000000000000 is published"));
  }
  SECTION("a transfer cut short") {
    std::ofstream(f.served / "toy.tar.gz.claim") << archive.size() + 5000;
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("cannot fetch " + base + "toy.tar.gz"));
  }
  SECTION("a truncated archive, as published") {
    const std::vector<std::uint8_t> half(archive.begin(), archive.begin() + archive.size() / 2);
    source = f.serve_archive(half);
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("unpack") && Contains("toy.tar.gz"));
  }
  SECTION("offline") {
    base = test::unreachable_url();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("cannot fetch " + base + "toy.tar.gz"));
  }
  SECTION("a file the server lacks") {
    source.files[0].name = "missing.tar.gz";
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("cannot fetch " + base + "missing.tar.gz") && Contains("404"));
  }
  SECTION("a full disk while downloading, and while unpacking") {
    serve();
    for (const std::string file : {"toy.tar.gz", "c.txt"}) {
      testing::set_fault_hook([&](WriteStage stage, const std::string& path) {
        return stage == WriteStage::write && path.find(file) != std::string::npos
                   ? testing::FaultAction::fail
                   : testing::FaultAction::proceed;
      });
      REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                          Contains(file) && Contains("No space left on device"));
      testing::set_fault_hook({});
      f.check_untouched();
    }
  }
  SECTION("an archive escaping its folder") {
    source = f.serve_archive(tar_gz({{"toy-folder/ok.txt", "x"}, {"toy-folder/../../evil", "x"}}));
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("refusing entry 'toy-folder/../../evil'"));
    CHECK_FALSE(fs::exists(f.temp.path() / "evil"));
  }
  SECTION("an archive without the dataset's folder") {
    source = f.serve_archive(tar_gz({{"other/a.txt", "x"}}));
    serve();
    REQUIRE_THROWS_WITH(download_dataset(source, base, f.target.string()),
                        Contains("holds no folder 'toy-folder'"));
  }
  f.check_untouched();
}

TEST_CASE("the published sources and the mirror variable", "[data][download]") {
  const DatasetSource& cifar = dataset_source("cifar10");
  CHECK(cifar.base_url.rfind("https://", 0) == 0);
  CHECK(cifar.files.size() == 1);
  CHECK(cifar.files[0].md5 == "c32a1d4ab5d03f1284b67883e8d87530");
  CHECK(cifar.archive_folder == "cifar-10-batches-bin");
  CHECK(dataset_source("fashion-mnist").files.size() == 4);
  REQUIRE_THROWS_WITH(dataset_source("imagenet"),
                      Contains("no published source for dataset 'imagenet'"));
  ::unsetenv(kMirrorVariable);
  CHECK(mirror_or("https://a/") == "https://a/");
  ::setenv(kMirrorVariable, "http://127.0.0.1:9", 1);
  CHECK(mirror_or("https://a/") == "http://127.0.0.1:9/");
  ::unsetenv(kMirrorVariable);
}
