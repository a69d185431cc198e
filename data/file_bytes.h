#pragma once
// Whole-file reading for the dataset readers, with transparent gzip decompression: a file
// that starts with the gzip magic bytes (1f 8b) is inflated, whatever its name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hs::data {

// The contents of `path`, decompressed when it is gzip data. Throws hs::Error, prefixed by
// `context`, naming the path and the problem: cannot open (with strerror), read error,
// truncated or corrupt gzip data.
// Files (or their decompressed contents) larger than `max_bytes` are refused before that much
// is allocated, so a gzip bomb or a corrupt file cannot exhaust memory.
inline constexpr std::size_t kMaxDatasetFileBytes = std::size_t{4} << 30;
std::vector<std::uint8_t> read_file_bytes(const std::string& path, const std::string& context,
                                          std::size_t max_bytes = kMaxDatasetFileBytes);

}  // namespace hs::data
