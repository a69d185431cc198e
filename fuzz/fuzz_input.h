#pragma once
// Shared by the fuzz targets: a scratch folder for readers that take a path, and the rule
// that a reader may only ever answer bad bytes with an hs::Error. Any other exception
// escapes LLVMFuzzerTestOneInput, which libFuzzer (and the replay driver) report as a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "data/dataset.h"

namespace hs::fuzz {

// A folder of this process's own under the system temporary folder, removed at exit.
const std::filesystem::path& scratch_dir();

// Writes `size` bytes to scratch_dir()/name and returns the path.
std::string write_scratch_file(const std::string& name, const std::uint8_t* data, std::size_t size);

// Prints `what` and aborts: a finding that is not a crash by itself (readers that disagree).
[[noreturn]] void report_finding(const std::string& what);

// A dataset a reader returned must be consistent (sizes, labels in range, class names);
// report_finding otherwise.
void require_consistent(const data::ImageDataset& ds);

// Prints an input's hs::Error when HSNET_FUZZ_VERBOSE is set (to see which seeds are valid).
void note_refusal(const hs::Error& e);

// Runs `read`; an hs::Error (the documented answer to bad input) is swallowed.
template <class F>
void expect_only_hs_errors(F&& read) {
  try {
    read();
  } catch (const hs::Error& e) {
    note_refusal(e);
  }
}

}  // namespace hs::fuzz
