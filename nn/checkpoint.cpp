#include "nn/checkpoint.h"

#include "nn/safetensors.h"

namespace hs::nn {

void save(const Module& m, const std::string& path,
          const std::map<std::string, std::string>& metadata) {
  write_safetensors(path, m.state_dict(), metadata);
}

void load(Module& m, const std::string& path) {
  const SafetensorsFile file = read_safetensors(path);
  try {
    m.load_state_dict(file.tensors);
  } catch (const Error& e) {
    // load_state_dict names the key; the path says which checkpoint it came from.
    HS_FAIL("load: ", path, ": ", e.what());
  }
}

}  // namespace hs::nn
