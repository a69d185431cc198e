#pragma once
// Reading and writing tensors in the safetensors format: an 8-byte little-endian header
// length N, N bytes of JSON header (padded with spaces to a multiple of 8) naming each
// tensor's dtype ("F32", "F64", "I64"), shape and byte range, then the raw little-endian
// data, packed without gaps. Files written here load in Python's safetensors as they are.
#include <map>
#include <string>

#include "nn/module.h"

namespace hs::nn {

// The contents of one safetensors file: named CPU tensors and the string-to-string
// "__metadata__" table (empty when the file has none).
struct SafetensorsFile {
  StateDict tensors;
  std::map<std::string, std::string> metadata;
};

// Writes `tensors` (any device, any strides; copied to contiguous CPU bytes) and `metadata`
// to `path`, atomically through hs::AtomicFile (temporary file, fsync, rename, fsync of the
// folder). On any error (an undefined tensor, an unwritable directory, a full disk) the
// temporary file is removed, an existing file at `path` is left as it was, and an hs::Error
// names the path and the cause.
void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Reads a safetensors file into CPU tensors. Requires a well-formed file: anything else
// (missing file, truncated or oversized header, invalid JSON, unknown dtype, byte ranges
// that disagree with the shape, overlap, leave gaps or trailing bytes) is an hs::Error
// naming the file and the offending key or byte offset.
SafetensorsFile read_safetensors(const std::string& path);

// Parses the complete bytes of a safetensors file, with the checks of read_safetensors;
// `name_for_errors` stands for the file in error messages.
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& name_for_errors);

}  // namespace hs::nn
