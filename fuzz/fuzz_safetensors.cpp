// Fuzz target: a safetensors file, header and data. The bytes are parsed from memory
// (parse_safetensors) and read from a file (read_safetensors, which reads each tensor's bytes
// straight into its storage); both must refuse the same inputs and agree on what they accept.
#include <cstring>
#include <string>

#include "fuzz/fuzz_input.h"
#include "nn/safetensors.h"

namespace {

bool same_contents(const hs::nn::SafetensorsFile& a, const hs::nn::SafetensorsFile& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (const auto& [name, t] : a.tensors) {
    const auto it = b.tensors.find(name);
    if (it == b.tensors.end()) return false;
    const hs::Tensor& u = it->second;
    if (t.shape() != u.shape() || t.dtype() != u.dtype() || t.nbytes() != u.nbytes()) return false;
    if (t.nbytes() > 0 && std::memcmp(t.data_ptr(), u.data_ptr(), t.nbytes()) != 0) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  bool parsed = false, read = false;
  hs::nn::SafetensorsFile from_memory, from_file;
  hs::fuzz::expect_only_hs_errors([&] {
    from_memory = hs::nn::parse_safetensors(bytes, "fuzz input");
    parsed = true;
  });
  const std::string path = hs::fuzz::write_scratch_file("input.safetensors", data, size);
  hs::fuzz::expect_only_hs_errors([&] {
    from_file = hs::nn::read_safetensors(path);
    read = true;
  });
  if (parsed != read)
    hs::fuzz::report_finding(std::string("parse_safetensors ") + (parsed ? "accepted" : "refused") +
                             " an input that read_safetensors " + (read ? "accepted" : "refused"));
  if (parsed && !same_contents(from_memory, from_file))
    hs::fuzz::report_finding("parse_safetensors and read_safetensors read different contents");
  return 0;
}
