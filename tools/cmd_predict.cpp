// hsnet predict: the most probable classes of a checkpoint's model for PNG images, or the
// logits of every image of a dataset's test split written as CSV (for cross-checks).
#include <png.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "autograd/grad_mode.h"
#include "core/atomic_file.h"
#include "core/threads.h"
#include "data/datasets.h"
#include "data/loader.h"
#include "tools/commands.h"
#include "tools/predict.h"

namespace hs::tools {

namespace {

// Larger decoded images are refused rather than allocated (a corrupt header can claim
// a million by a million pixels).
constexpr std::size_t kMaxDecodedBytes = std::size_t{1} << 28;

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  HS_CHECK(f.good(), "predict: cannot open ", path, ": ", std::strerror(errno));
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)),
                                  std::istreambuf_iterator<char>());
  HS_CHECK(!f.bad(), "predict: error while reading ", path);
  return bytes;
}

// What libpng's callbacks share: the file's bytes, the read position, and the message of
// the error that ended decoding.
struct PngSource {
  const std::vector<std::uint8_t>* bytes;
  std::size_t offset = 0;
  char error[256] = {};
};

// libpng requires its error handler not to return: it keeps the message and jumps back to
// the setjmp of the decoding phase under way. No C++ object with a destructor lives in the
// frames it skips.
[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->error, sizeof source->error, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (an odd colour profile, say) do not stop decoding and are not the user's concern.
void on_png_warning(png_structp, png_const_charp) {}

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->bytes->size() - source->offset < length) png_error(png, "file is truncated");
  std::memcpy(out, source->bytes->data() + source->offset, length);
  source->offset += length;
}

struct PngLayout {
  png_uint_32 width = 0, height = 0;
  int channels = 0;
  std::size_t row_bytes = 0;
};

// Reads the header and asks libpng for 8-bit gray or RGB rows; false when libpng failed.
// Only trivially destructible locals here and in read_rows, so longjmp skips no destructor.
bool read_header(png_structp png, png_infop info, PngLayout* layout) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  if (color & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  layout->width = png_get_image_width(png, info);
  layout->height = png_get_image_height(png, info);
  layout->channels = png_get_channels(png, info);
  layout->row_bytes = png_get_rowbytes(png, info);
  return true;
}

bool read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

// Frees libpng's decoder state however read_png ends.
struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngReader() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

std::string class_name(const ModelMeta& meta, std::int64_t c) {
  return c < static_cast<std::int64_t>(meta.class_names.size()) ? meta.class_names[c]
                                                                : std::to_string(c);
}

}  // namespace

Image read_png(const std::string& path) {
  const std::vector<std::uint8_t> bytes = read_whole_file(path);
  HS_CHECK(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, "predict: ", path,
           " is not a PNG file");
  PngSource source{&bytes};
  PngReader reader;
  reader.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, on_png_error, on_png_warning);
  HS_CHECK(reader.png != nullptr, "predict: libpng cannot start decoding ", path);
  reader.info = png_create_info_struct(reader.png);
  HS_CHECK(reader.info != nullptr, "predict: libpng cannot start decoding ", path);
  png_set_read_fn(reader.png, &source, read_from_memory);

  PngLayout layout;
  HS_CHECK(read_header(reader.png, reader.info, &layout), "predict: ", path, ": corrupt PNG (",
           source.error, ")");
  HS_CHECK(layout.channels == 1 || layout.channels == 3, "predict: ", path,
           ": unexpected PNG layout (", layout.channels, " channels after conversion)");
  HS_CHECK(layout.row_bytes == std::size_t{layout.width} * layout.channels, "predict: ", path,
           ": unexpected PNG layout (", layout.row_bytes, " bytes per row)");
  HS_CHECK(layout.row_bytes * layout.height <= kMaxDecodedBytes, "predict: ", path, ": image of ",
           layout.width, "x", layout.height, " pixels is too large");
  std::vector<std::uint8_t> interleaved(layout.row_bytes * layout.height);
  std::vector<png_bytep> rows(layout.height);
  for (png_uint_32 y = 0; y < layout.height; ++y)
    rows[y] = interleaved.data() + y * layout.row_bytes;
  HS_CHECK(read_rows(reader.png, rows.data()), "predict: ", path, ": corrupt PNG (", source.error,
           ")");

  Image image{layout.channels, layout.height, layout.width, {}};
  const std::int64_t plane = image.height * image.width;
  image.pixels.resize(interleaved.size());
  for (std::int64_t p = 0; p < plane; ++p)
    for (std::int64_t c = 0; c < image.channels; ++c)
      image.pixels[c * plane + p] = interleaved[p * image.channels + c];
  return image;
}

Image convert_channels(const Image& image, std::int64_t channels) {
  HS_CHECK((image.channels == 1 || image.channels == 3) && (channels == 1 || channels == 3),
           "convert_channels: converts between 1 and 3 channels, got ", image.channels, " to ",
           channels);
  if (image.channels == channels) return image;
  const std::int64_t plane = image.height * image.width;
  Image out{channels, image.height, image.width, std::vector<std::uint8_t>(channels * plane)};
  if (channels == 3) {
    for (std::int64_t c = 0; c < 3; ++c)
      std::copy(image.pixels.begin(), image.pixels.end(), out.pixels.begin() + c * plane);
    return out;
  }
  const std::uint8_t* r = image.pixels.data();
  const std::uint8_t* g = r + plane;
  const std::uint8_t* b = g + plane;
  for (std::int64_t p = 0; p < plane; ++p)
    out.pixels[p] =
        static_cast<std::uint8_t>(std::lround(0.299 * r[p] + 0.587 * g[p] + 0.114 * b[p]));
  return out;
}

Image resize_bilinear(const Image& image, std::int64_t height, std::int64_t width) {
  HS_CHECK(height >= 1 && width >= 1, "resize_bilinear: target size must be positive, got ", height,
           "x", width);
  // Source coordinate of each output row/column: (o + 0.5)·in/out − 0.5, clamped to the image.
  struct Tap {
    std::int64_t lo, hi;
    double w;
  };
  auto taps = [](std::int64_t in, std::int64_t out) {
    std::vector<Tap> t(out);
    const double scale = static_cast<double>(in) / out;
    for (std::int64_t o = 0; o < out; ++o) {
      const double src = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
      const auto lo = static_cast<std::int64_t>(src);
      t[o] = {lo, std::min(lo + 1, in - 1), src - lo};
    }
    return t;
  };
  const std::vector<Tap> ys = taps(image.height, height), xs = taps(image.width, width);
  Image out{image.channels, height, width,
            std::vector<std::uint8_t>(image.channels * height * width)};
  for (std::int64_t c = 0; c < image.channels; ++c) {
    const std::uint8_t* src = image.pixels.data() + c * image.height * image.width;
    std::uint8_t* dst = out.pixels.data() + c * height * width;
    for (std::int64_t y = 0; y < height; ++y) {
      const std::uint8_t* top = src + ys[y].lo * image.width;
      const std::uint8_t* bottom = src + ys[y].hi * image.width;
      for (std::int64_t x = 0; x < width; ++x) {
        const Tap& t = xs[x];
        const double upper = top[t.lo] + t.w * (top[t.hi] - top[t.lo]);
        const double lower = bottom[t.lo] + t.w * (bottom[t.hi] - bottom[t.lo]);
        dst[y * width + x] =
            static_cast<std::uint8_t>(std::lround(upper + ys[y].w * (lower - upper)));
      }
    }
  }
  return out;
}

data::ImageDataset images_as_dataset(const std::vector<Image>& images, const ModelMeta& meta) {
  HS_CHECK(meta.channels == 1 || meta.channels == 3, "predict: the model takes ", meta.channels,
           "-channel input; PNG images can be fed only to 1- or 3-channel models");
  data::ImageDataset ds;
  ds.n = static_cast<std::int64_t>(images.size());
  ds.channels = meta.channels;
  ds.height = meta.height;
  ds.width = meta.width;
  ds.pixels.reserve(ds.n * ds.image_size());
  for (const Image& image : images) {
    Image fitted = convert_channels(image, meta.channels);
    if (fitted.height != meta.height || fitted.width != meta.width)
      fitted = resize_bilinear(fitted, meta.height, meta.width);
    ds.pixels.insert(ds.pixels.end(), fitted.pixels.begin(), fitted.pixels.end());
  }
  // The images carry no labels: one placeholder class keeps the dataset consistent.
  ds.labels.assign(ds.n, 0);
  ds.num_classes = 1;
  ds.class_names = {"unlabelled"};
  ds.name = "images";
  return ds;
}

Tensor dataset_logits(nn::Module& model, const ModelMeta& meta, const data::ImageDataset& ds,
                      std::int64_t batch_size, Device device) {
  HS_CHECK(ds.n > 0, "predict: no images to run the model on");
  HS_CHECK(batch_size >= 1, "predict: batch size must be >= 1, got ", batch_size);
  data::LoaderOptions opts;
  opts.batch_size = batch_size;
  opts.shuffle = false;
  opts.augment.mean = meta.mean;
  opts.augment.std = meta.std;
  data::Loader loader(ds, opts);
  loader.start_epoch(0);

  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  std::vector<float> values;
  std::int64_t classes = 0;
  data::Batch batch;
  while (loader.next(batch)) {
    const Tensor logits = model(Variable(batch.images.to(device)))
                              .data()
                              .to(Device::cpu())
                              .to(DType::f32)
                              .contiguous();
    classes = logits.size(1);
    const float* p = logits.data<float>();
    values.insert(values.end(), p, p + logits.numel());
  }
  model.train(was_training);
  return from_vector(values, {ds.n, classes});
}

std::vector<std::pair<std::int64_t, double>> top_classes(const float* logits, std::int64_t classes,
                                                         std::int64_t k) {
  HS_CHECK(k >= 1, "predict: --topk must be >= 1, got ", k);
  k = std::min(k, classes);
  const double max_logit = *std::max_element(logits, logits + classes);
  double total = 0;
  for (std::int64_t c = 0; c < classes; ++c) total += std::exp(logits[c] - max_logit);
  std::vector<std::int64_t> order(classes);
  for (std::int64_t c = 0; c < classes; ++c) order[c] = c;
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](std::int64_t a, std::int64_t b) {
                      return logits[a] != logits[b] ? logits[a] > logits[b] : a < b;
                    });
  std::vector<std::pair<std::int64_t, double>> top(k);
  for (std::int64_t i = 0; i < k; ++i)
    top[i] = {order[i], std::exp(logits[order[i]] - max_logit) / total};
  return top;
}

void write_logits_csv(const std::string& path, const data::ImageDataset& ds, const Tensor& logits) {
  HS_CHECK(logits.dim() == 2 && logits.size(0) == ds.n && logits.dtype() == DType::f32 &&
               logits.is_cpu(),
           "predict: logits must be f32 [", ds.n, ", classes] on the CPU, got ", logits.shape(),
           " ", dtype_name(logits.dtype()));
  const Tensor values = logits.contiguous();
  const std::int64_t classes = values.size(1);
  const float* p = values.data<float>();

  std::string text = "index,label";
  char cell[32];
  for (std::int64_t c = 0; c < classes; ++c) text += ",logit_" + std::to_string(c);
  text += "\n";
  for (std::int64_t i = 0; i < ds.n; ++i) {
    text += std::to_string(i) + "," + std::to_string(ds.labels[i]);
    for (std::int64_t c = 0; c < classes; ++c) {
      std::snprintf(cell, sizeof cell, ",%.9g", p[i * classes + c]);
      text += cell;
    }
    text += "\n";
  }
  write_file_atomic(path, text);
}

Command add_predict(CLI::App& app) {
  struct Args {
    std::string checkpoint, dataset, data, logits, device = "cpu";
    std::vector<std::string> images;
    std::int64_t topk = 5, batch_size = 256, threads = 0, limit = 0;
  };
  auto a = std::make_shared<Args>();
  app.add_option("--checkpoint", a->checkpoint, "weights file (e.g. runs/x/best.safetensors)")
      ->required();
  app.add_option("images", a->images, "PNG files to classify");
  app.add_option("--topk", a->topk, "classes shown per image")->capture_default_str();
  app.add_option("--logits", a->logits,
                 "instead of images: write the logits of a dataset's test split to this CSV file");
  app.add_option("--dataset", a->dataset,
                 "with --logits: dataset (default: the one it was trained on)");
  app.add_option("--data", a->data, "with --logits: dataset directory");
  app.add_option("--limit", a->limit, "with --logits: use the first N test images");
  app.add_option("--batch-size", a->batch_size, "batch size")->capture_default_str();
  app.add_option("--threads", a->threads, "CPU threads (0: all cores)");
  app.add_option("--device", a->device, "cpu | cuda")->capture_default_str();
  return [a, &app]() {
    HS_CHECK(!a->images.empty() || !a->logits.empty(),
             "predict: nothing to do: give PNG files, or --logits OUT.csv for a dataset's logits");
    HS_CHECK(a->images.empty() || a->logits.empty(),
             "predict: give either PNG files or --logits, not both");
    if (!a->images.empty())
      for (const char* name : {"--dataset", "--data", "--limit"})
        HS_CHECK(app.count(name) == 0, "predict: ", name, " applies only with --logits");
    HS_CHECK(a->topk >= 1, "predict: --topk must be >= 1, got ", a->topk);
    HS_CHECK(a->limit >= 0, "predict: --limit must be >= 0, got ", a->limit);
    set_num_threads(static_cast<int>(a->threads));
    const Device device = parse_device(a->device);
    LoadedModel lm = load_model(a->checkpoint);
    lm.model->to(device);

    if (!a->logits.empty()) {
      const std::string dataset = a->dataset.empty() ? lm.meta.dataset : a->dataset;
      const std::string dir = a->data.empty() ? data::default_data_dir(dataset) : a->data;
      data::ImageDataset test = data::load_dataset(dataset, dir, false);
      if (a->limit > 0) test = data::subset(test, a->limit);
      HS_CHECK(test.channels == lm.meta.channels && test.height == lm.meta.height &&
                   test.width == lm.meta.width,
               "predict: ", dataset, " has images of ", test.channels, "x", test.height, "x",
               test.width, " but the checkpoint's model takes ", lm.meta.channels, "x",
               lm.meta.height, "x", lm.meta.width);
      const Tensor logits = dataset_logits(*lm.model, lm.meta, test, a->batch_size, device);
      write_logits_csv(a->logits, test, logits);
      std::printf("wrote the logits of %lld %s test images (%lld classes) to %s\n",
                  static_cast<long long>(test.n), dataset.c_str(),
                  static_cast<long long>(logits.size(1)), a->logits.c_str());
      return 0;
    }

    std::vector<Image> images;
    images.reserve(a->images.size());
    for (const std::string& path : a->images) images.push_back(read_png(path));
    const data::ImageDataset ds = images_as_dataset(images, lm.meta);
    const Tensor logits = dataset_logits(*lm.model, lm.meta, ds, a->batch_size, device);
    const std::int64_t classes = logits.size(1);
    const float* p = logits.data<float>();
    for (std::int64_t i = 0; i < ds.n; ++i) {
      std::string line = a->images[i] + ":";
      const char* separator = " ";
      for (const auto& [c, prob] : top_classes(p + i * classes, classes, a->topk)) {
        char value[32];
        std::snprintf(value, sizeof value, " %.3f", prob);
        line += separator + class_name(lm.meta, c) + value;
        separator = ", ";
      }
      std::printf("%s\n", line.c_str());
    }
    return 0;
  };
}

}  // namespace hs::tools
