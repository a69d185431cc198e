// Fuzz target: an IDX pair (images, labels), plain or gzip-compressed. Input layout: one flag
// byte (bit 0: gzip the images file, bit 1: gzip the labels file, so the fuzzer reaches the
// IDX checks behind the inflate step too), a byte giving num_classes - 1, two little-endian
// bytes giving the labels file's length L, L bytes of labels file, the rest the images file.
// Raw gzip bytes in either file reach the corrupt-gzip checks.
#include <zlib.h>

#include <algorithm>
#include <string>
#include <vector>

#include "data/idx.h"
#include "fuzz/fuzz_input.h"

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  constexpr int kGzipWindow = 15 + 16;  // zlib's way of asking for a gzip header
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindow, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    hs::fuzz::report_finding("zlib cannot start compressing");
  std::vector<std::uint8_t> out(deflateBound(&z, size) + 32);
  z.next_in = const_cast<std::uint8_t*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) hs::fuzz::report_finding("zlib cannot compress");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string write_file(const std::string& name, const std::uint8_t* data, std::size_t size,
                       bool compress) {
  if (!compress) return hs::fuzz::write_scratch_file(name, data, size);
  const std::vector<std::uint8_t> gz = gzip(data, size);
  return hs::fuzz::write_scratch_file(name, gz.data(), gz.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint8_t flags = data[0];
  const std::int64_t num_classes = std::int64_t{data[1]} + 1;
  const std::size_t labels_size = std::min<std::size_t>(data[2] | data[3] << 8, size - 4);
  const std::uint8_t* labels = data + 4;
  const std::uint8_t* images = labels + labels_size;
  const std::string labels_path = write_file("labels", labels, labels_size, flags & 2);
  const std::string images_path = write_file("images", images, size - 4 - labels_size, flags & 1);
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::data::ImageDataset ds = hs::data::read_idx(images_path, labels_path, num_classes);
    hs::fuzz::require_consistent(ds);
  });
  return 0;
}
