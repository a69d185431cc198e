#pragma once
// A fresh directory under the system temp dir for a test's files, unique per process and
// instance, removed with everything in it when the object goes out of scope.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>

namespace hs::test {

class TempDir {
 public:
  // `prefix` names the test in the directory's name, for whoever finds one left behind.
  explicit TempDir(const std::string& prefix = "hsnet-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // The path of `name` inside the directory, as a string.
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // The names of the entries directly inside the directory.
  std::set<std::string> listing() const {
    std::set<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      names.insert(entry.path().filename().string());
    return names;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace hs::test
