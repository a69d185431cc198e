// Fuzz target: PNG decoding from memory (data/image_io.h: any colour type, bit depth,
// interlacing), and fitting the decoded image to a model's input as `hsnet predict` does.
#include "data/image_io.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::data::Image image = hs::data::decode_png(data, size, "fuzz input");
    if (image.channels != 1 && image.channels != 3)
      hs::fuzz::report_finding("decode_png returned " + std::to_string(image.channels) +
                               " channels");
    if (image.pixels.size() !=
        static_cast<std::size_t>(image.channels * image.height * image.width))
      hs::fuzz::report_finding("decode_png returned a pixel buffer of the wrong size");
    // The other channel count, and a size that is neither the image's nor a multiple of it.
    const std::int64_t channels = image.channels == 1 ? 3 : 1;
    const hs::data::Image fitted =
        hs::data::resize_bilinear(hs::data::convert_channels(image, channels), 7, 9);
    if (fitted.pixels.size() != static_cast<std::size_t>(channels * 7 * 9))
      hs::fuzz::report_finding("convert_channels/resize_bilinear returned the wrong size");
  });
  return 0;
}
