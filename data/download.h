#pragma once
// Fetching a dataset from where its authors publish it: an HTTPS download with libcurl, the
// published MD5 checked, the archive unpacked with libarchive, all of it staged in a
// temporary folder beside the target and renamed into place last, so a half-done download
// never looks like a dataset.
#include <ostream>
#include <string>
#include <vector>

namespace hs::data {

// One published file: its name below the source's base URL and its MD5 (lowercase hex).
struct RemoteFile {
  std::string name, md5;
};

// Where a dataset is published and how its files make up the dataset folder. With an
// archive_folder, files holds one archive whose folder of that name becomes the dataset
// folder (CIFAR); without, the files themselves are the dataset folder (the IDX .gz files).
struct DatasetSource {
  std::string name;      // the load_dataset key, e.g. "cifar10"
  std::string base_url;  // each file is fetched from base_url + file name
  std::vector<RemoteFile> files;
  std::string archive_folder;
};

// The published source of a dataset load_dataset knows (the URLs and MD5s torchvision and the
// authors' pages give); an hs::Error for any other name.
const DatasetSource& dataset_source(const std::string& name);

// When set, HSNET_DATA_MIRROR replaces every source's base URL (a mirror with the same file
// names, or a local server in tests).
inline constexpr const char* kMirrorVariable = "HSNET_DATA_MIRROR";
std::string mirror_or(const std::string& base_url);

// Downloads every file of `source` from `base_url`, checks each MD5, unpacks the archive and
// renames the result to `dir`. Requires `dir` not to exist. The staging folder is created in
// dir's parent and removed on any failure, so `dir` appears complete or not at all. Failures
// (no connection, an HTTP error, a short transfer, a wrong checksum, a corrupt archive, a
// failed write) are hs::Errors naming the URL or file. Progress lines go to `log` if given.
void download_dataset(const DatasetSource& source, const std::string& base_url,
                      const std::string& dir, std::ostream* log = nullptr);

}  // namespace hs::data
