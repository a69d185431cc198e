#include "data/file_bytes.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace hs::data {

namespace {

// Reads the whole file into a buffer sized from its length (one allocation and one pass for
// a regular file; the fuzz targets' tiny files used to pay for a zeroed 1 MiB chunk each),
// growing only if the file is longer than its length said (a pipe, a file being appended to).
std::vector<std::uint8_t> read_raw(const std::string& path, const std::string& context,
                                   std::size_t max_bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  HS_CHECK(file != nullptr, context, ": cannot open ", path, ": ", std::strerror(errno));
  struct stat info {};
  const bool regular = ::fstat(::fileno(file.get()), &info) == 0 && S_ISREG(info.st_mode);
  const std::size_t length = regular ? static_cast<std::size_t>(info.st_size) : 0;
  const auto refuse_over_limit = [&](std::size_t size) {
    HS_CHECK(size <= max_bytes, context, ": ", path, " is larger than the limit of ", max_bytes,
             " bytes");
  };
  refuse_over_limit(length);
  // One byte more than the length, so that reading stops on end of file in the first call.
  std::vector<std::uint8_t> bytes(length + 1);
  std::size_t used = 0;
  for (;;) {
    used += std::fread(bytes.data() + used, 1, bytes.size() - used, file.get());
    if (used < bytes.size()) break;  // end of file (or an error, checked below)
    refuse_over_limit(used);
    constexpr std::size_t kChunk = 1 << 20;
    bytes.resize(std::min(std::max(2 * bytes.size(), bytes.size() + kChunk), max_bytes + 1));
  }
  HS_CHECK(!std::ferror(file.get()), context, ": error reading ", path, ": ", std::strerror(errno));
  refuse_over_limit(used);
  bytes.resize(used);
  return bytes;
}

bool is_gzip(const std::vector<std::uint8_t>& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

// Inflates every gzip member of `compressed` (concatenated members are legal gzip).
std::vector<std::uint8_t> gunzip(const std::vector<std::uint8_t>& compressed,
                                 const std::string& path, const std::string& context,
                                 std::size_t max_bytes) {
  z_stream stream{};
  // 16 + MAX_WBITS: expect a gzip header and trailer rather than a raw zlib stream.
  HS_CHECK(inflateInit2(&stream, 16 + MAX_WBITS) == Z_OK, context, ": ", path,
           ": cannot initialise zlib");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, &inflateEnd);

  // The trailer's last four bytes hold the uncompressed size modulo 2^32: a good first guess
  // for the buffer. One beyond deflate's maximum ratio (1032:1) is garbage: start small then
  // and double, rather than zero-fill megabytes for a few bytes of corrupt data.
  const std::size_t tail = compressed.size();
  std::size_t guess =
      tail >= 4
          ? (std::size_t{compressed[tail - 4]} | std::size_t{compressed[tail - 3]} << 8 |
             std::size_t{compressed[tail - 2]} << 16 | std::size_t{compressed[tail - 1]} << 24)
          : 0;
  if (guess > tail * 1032 + (1 << 16)) guess = 4 * tail;
  guess = std::min(std::max<std::size_t>(guess, 1 << 16), max_bytes + 1);
  std::vector<std::uint8_t> out(guess);

  std::size_t consumed = 0, produced = 0;
  for (;;) {
    HS_CHECK(produced <= max_bytes, context, ": ", path,
             ": decompressed data is larger than the limit of ", max_bytes, " bytes");
    if (produced == out.size()) out.resize(std::min(out.size() * 2, max_bytes + 1));
    stream.next_in = const_cast<Bytef*>(compressed.data() + consumed);
    stream.avail_in = static_cast<uInt>(std::min<std::size_t>(tail - consumed, UINT_MAX));
    stream.next_out = out.data() + produced;
    stream.avail_out = static_cast<uInt>(std::min<std::size_t>(out.size() - produced, UINT_MAX));
    const uInt in_before = stream.avail_in, out_before = stream.avail_out;
    const int status = inflate(&stream, Z_NO_FLUSH);
    consumed += in_before - stream.avail_in;
    produced += out_before - stream.avail_out;
    if (status == Z_STREAM_END) {
      if (consumed == tail) break;
      HS_CHECK(inflateReset(&stream) == Z_OK, context, ": ", path, ": cannot reset zlib");
      continue;
    }
    HS_CHECK(status == Z_OK || status == Z_BUF_ERROR, context, ": ", path,
             ": corrupt gzip data (zlib: ", stream.msg ? stream.msg : "unknown error", ")");
    HS_CHECK(consumed < tail || stream.avail_out == 0, context, ": ", path,
             ": gzip data is truncated (the stream ends without its end marker after ", tail,
             " compressed bytes, ", produced, " bytes decompressed)");
  }
  out.resize(produced);
  return out;
}

}  // namespace

std::vector<std::uint8_t> read_file_bytes(const std::string& path, const std::string& context,
                                          std::size_t max_bytes) {
  std::vector<std::uint8_t> bytes = read_raw(path, context, max_bytes);
  return is_gzip(bytes) ? gunzip(bytes, path, context, max_bytes) : bytes;
}

}  // namespace hs::data
