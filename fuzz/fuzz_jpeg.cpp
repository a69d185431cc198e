// Fuzz target: JPEG decoding from memory (data/jpeg.h, libjpeg-turbo behind a setjmp error
// handler), and the random resized crop and sampling the loader applies to a decoded image.
#include "core/generator.h"
#include "data/jpeg.h"
#include "data/resized_crop.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hs::fuzz::expect_only_hs_errors([&] {
    const hs::data::Image image = hs::data::decode_jpeg(data, size, "fuzz input");
    if (image.channels != 1 && image.channels != 3)
      hs::fuzz::report_finding("decode_jpeg returned " + std::to_string(image.channels) +
                               " channels");
    if (image.pixels.size() !=
        static_cast<std::size_t>(image.channels * image.height * image.width))
      hs::fuzz::report_finding("decode_jpeg returned a pixel buffer of the wrong size");
    hs::Generator gen(size);
    const hs::data::CropBox box = hs::data::random_resized_crop_box(image.height, image.width, gen);
    if (box.top < 0 || box.left < 0 || box.top + box.height > image.height ||
        box.left + box.width > image.width || box.height < 1 || box.width < 1)
      hs::fuzz::report_finding("random_resized_crop_box left the image");
    std::vector<float> out(static_cast<std::size_t>(image.channels * 7 * 9));
    hs::data::sample_normalised(image, hs::data::crop_axis(box.top, box.height, 7),
                                hs::data::crop_axis(box.left, box.width, 9), 7, 9, true, {}, {},
                                out.data());
  });
  return 0;
}
