#include "data/download.h"

#include <curl/curl.h>
#include <nettle/md5.h>
#include <stdlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/archive.h"

namespace hs::data {

namespace {

namespace fs = std::filesystem;

const std::vector<DatasetSource>& published_sources() {
  // CIFAR: the binary versions from the authors' page
  // (https://www.cs.toronto.edu/~kriz/cifar.html). MNIST: torchvision's HTTPS mirror of LeCun's
  // files. Fashion-MNIST: the files in Zalando's repository, which its README links to. The MD5s
  // are the ones those pages and torchvision publish.
  static const std::vector<DatasetSource> sources = {
      {"cifar10",
       "https://www.cs.toronto.edu/~kriz/",
       {{"cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"}},
       "cifar-10-batches-bin"},
      {"cifar100",
       "https://www.cs.toronto.edu/~kriz/",
       {{"cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8"}},
       "cifar-100-binary"},
      {"mnist",
       "https://ossci-datasets.s3.amazonaws.com/mnist/",
       {{"train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
        {"train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"},
        {"t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"},
        {"t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"}},
       ""},
      {"fashion-mnist",
       "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
       {{"train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
        {"train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"},
        {"t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"},
        {"t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"}},
       ""},
  };
  return sources;
}

// The temporary folder a download is staged in, beside its target; removed with everything
// in it unless the download completed.
class StagingFolder {
 public:
  explicit StagingFolder(const fs::path& target) {
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    HS_CHECK(!ec, "download: cannot create folder ", parent.string(), ": ", ec.message());
    std::string pattern = (parent / ("." + target.filename().string() + ".download-XXXXXX"));
    HS_CHECK(::mkdtemp(pattern.data()) != nullptr, "download: cannot create a staging folder in ",
             parent.string(), ": ", std::strerror(errno));
    path_ = pattern;
  }
  StagingFolder(const StagingFolder&) = delete;
  StagingFolder& operator=(const StagingFolder&) = delete;
  ~StagingFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void make_folder(const fs::path& path) {
  std::error_code ec;
  fs::create_directory(path, ec);
  HS_CHECK(!ec, "download: cannot create folder ", path.string(), ": ", ec.message());
}

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;

// What the write callback needs: it cannot throw through libcurl, so it parks the error.
struct Transfer {
  AtomicFile* out;
  md5_ctx digest;
  std::exception_ptr failure;
};

size_t on_data(char* bytes, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  try {
    t->out->write(bytes, size * count);
    md5_update(&t->digest, size * count, reinterpret_cast<const std::uint8_t*>(bytes));
    return size * count;
  } catch (...) {
    t->failure = std::current_exception();
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
}

std::string hex(const std::uint8_t* bytes, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (std::size_t i = 0; i < size; ++i) {
    text += digits[bytes[i] >> 4];
    text += digits[bytes[i] & 15];
  }
  return text;
}

// Fetches `url` into `path` (through an AtomicFile) and returns the MD5 of the bytes.
std::string fetch(const std::string& url, const std::string& path) {
  static std::once_flag curl_ready;
  std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlPtr curl(curl_easy_init(), curl_easy_cleanup);
  HS_CHECK(curl != nullptr, "download: cannot set up libcurl for ", url);
  AtomicFile out(path);
  Transfer transfer{&out, {}, nullptr};
  md5_init(&transfer.digest);
  char message[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, message);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);  // an HTTP 404 is an error, not a file
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  // A stalled connection (under 1 byte/s for a minute) fails rather than hanging forever.
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &transfer);
  const CURLcode code = curl_easy_perform(curl.get());
  if (transfer.failure) std::rethrow_exception(transfer.failure);
  HS_CHECK(code == CURLE_OK, "download: cannot fetch ", url, ": ",
           *message ? message : curl_easy_strerror(code));
  out.commit();
  std::uint8_t md5[MD5_DIGEST_SIZE];
  md5_digest(&transfer.digest, MD5_DIGEST_SIZE, md5);
  return hex(md5, MD5_DIGEST_SIZE);
}

}  // namespace

const DatasetSource& dataset_source(const std::string& name) {
  std::string known;
  for (const DatasetSource& source : published_sources()) {
    if (source.name == name) return source;
    known += (known.empty() ? "" : ", ") + source.name;
  }
  HS_FAIL("download: no published source for dataset '", name, "' (known: ", known, ")");
}

std::string mirror_or(const std::string& base_url) {
  const char* mirror = std::getenv(kMirrorVariable);
  if (mirror == nullptr || *mirror == '\0') return base_url;
  std::string url = mirror;
  if (url.back() != '/') url += '/';
  return url;
}

void download_dataset(const DatasetSource& source, const std::string& base_url,
                      const std::string& dir, std::ostream* log) {
  HS_CHECK(!source.files.empty(), "download: source of '", source.name, "' lists no files");
  HS_CHECK(source.archive_folder.empty() || source.files.size() == 1, "download: source of '",
           source.name, "' has an archive folder but ", source.files.size(), " files");
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "dir/" names dir
  HS_CHECK(!target.empty(), "download: no folder given for ", source.name);
  std::error_code ec;
  HS_CHECK(!fs::exists(target, ec), "download: ", target.string(), " already exists; remove it to ",
           "download ", source.name, " again");
  StagingFolder staging(target);
  const fs::path fetched = staging.path() / (source.archive_folder.empty() ? "dataset" : "fetched");
  make_folder(fetched);
  for (const RemoteFile& file : source.files) {
    const std::string url = base_url + file.name;
    if (log) *log << "fetching " << url << "\n" << std::flush;
    const std::string md5 = fetch(url, (fetched / file.name).string());
    HS_CHECK(md5 == file.md5, "download: ", url, " has MD5 ", md5, " but ", file.md5,
             " is published (a damaged download, or the file changed upstream)");
  }
  fs::path result = fetched;
  if (!source.archive_folder.empty()) {
    const fs::path unpacked = staging.path() / "unpacked";
    make_folder(unpacked);
    const std::string archive = (fetched / source.files[0].name).string();
    if (log) *log << "unpacking " << source.files[0].name << "\n" << std::flush;
    unpack_archive(archive, unpacked.string());
    result = unpacked / source.archive_folder;
    HS_CHECK(fs::is_directory(result), "download: ", base_url + source.files[0].name,
             " holds no folder '", source.archive_folder, "'");
  }
  rename_durable(result.string(), target.string());
  if (log) *log << source.name << " is in " << target.string() << "\n";
}

}  // namespace hs::data
