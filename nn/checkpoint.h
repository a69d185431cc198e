#pragma once
// Module checkpoints: a module's state dict (parameters and buffers under their dotted
// names, as in PyTorch) saved to and loaded from a safetensors file.
#include <map>
#include <string>

#include "nn/module.h"

namespace hs::nn {

// Writes m.state_dict() and `metadata` to `path` atomically (see write_safetensors): an
// hs::Error on failure, and a file already at `path` is left as it was.
void save(const Module& m, const std::string& path,
          const std::map<std::string, std::string>& metadata = {});

// Reads and checks the whole file, then loads it into `m` with load_state_dict. Requires the
// file to hold exactly m's keys with m's shapes; otherwise an hs::Error names the path and
// the key, and `m` is left unchanged.
void load(Module& m, const std::string& path);

}  // namespace hs::nn
