#include "fuzz/fuzz_input.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace hs::fuzz {

namespace {

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "hsnet-fuzz-XXXXXX").string();
    HS_CHECK(::mkdtemp(templ.data()) != nullptr, "fuzz: cannot create a scratch folder ", templ);
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

const std::filesystem::path& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

std::string write_scratch_file(const std::string& name, const std::uint8_t* data,
                               std::size_t size) {
  const std::string path = (scratch_dir() / name).string();
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  f.close();
  HS_CHECK(f.good(), "fuzz: cannot write ", path);
  return path;
}

void report_finding(const std::string& what) {
  std::fprintf(stderr, "fuzz finding: %s\n", what.c_str());
  std::abort();
}

void note_refusal(const hs::Error& e) {
  static const bool verbose = std::getenv("HSNET_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "refused: %s\n", e.what());
}

void require_consistent(const data::ImageDataset& ds) {
  try {
    data::check_consistent(ds, "reader result");
  } catch (const hs::Error& e) {
    report_finding(e.what());
  }
}

}  // namespace hs::fuzz
