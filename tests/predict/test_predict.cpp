// hsnet predict: PNG decoding of every colour type against the bytes written, channel
// conversion and bilinear resizing against direct formulas, top-k ranking, the command's
// output for images, and its logits CSV against the model's own eval forward.
#include <png.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "autograd/grad_mode.h"
#include "core/error.h"
#include "core/generator.h"
#include "nn/init.h"
#include "test_util/temp_dir.h"
#include "tools/commands.h"
#include "tools/logits_csv.h"
#include "tools/predict.h"

using namespace hs;
using namespace hs::tools;
using namespace hs::data;
namespace fs = std::filesystem;
using Catch::Contains;
using hs::test::TempDir;

namespace {

// What a test PNG holds: `rows` are the file's own scanlines (packed samples, 16-bit ones
// big-endian), `palette` the PLTE entries for palette images.
struct PngSpec {
  int width, height, color_type, bit_depth;
  std::vector<std::vector<std::uint8_t>> rows;
  std::vector<png_color> palette{};
  bool interlaced = false;
};

void write_png(const std::string& path, const PngSpec& spec) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty())
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  png_write_info(png, info);
  std::vector<png_bytep> rows;
  for (const auto& row : spec.rows) rows.push_back(const_cast<png_bytep>(row.data()));
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

std::vector<std::uint8_t> file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Pixel (c, y, x) of a CHW image.
int at(const Image& im, int c, int y, int x) {
  return im.pixels[(c * im.height + y) * im.width + x];
}

// A 6x5 RGB test pattern, distinct in every channel and position.
std::uint8_t pattern(int c, int y, int x) {
  return static_cast<std::uint8_t>(40 * c + 7 * y + 3 * x + 1);
}

Image make_image(int channels, int height, int width, Generator& gen) {
  Image im{channels, height, width, std::vector<std::uint8_t>(channels * height * width)};
  for (auto& p : im.pixels) p = static_cast<std::uint8_t>(gen.next_u64() % 256);
  return im;
}

// Runs `hsnet predict` with `args` and returns its exit status, with what it printed.
int run_predict(std::vector<std::string> args, std::string* printed = nullptr) {
  CLI::App app;
  CLI::App* sub = app.add_subcommand("predict");
  const Command run = add_predict(*sub);
  args.insert(args.begin(), {"hsnet", "predict"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  if (!printed) return run();
  const TempDir scratch("hsnet-test-predict-stdout");
  const std::string capture = scratch.file("stdout.txt");
  std::fflush(stdout);
  const int saved = ::dup(::fileno(stdout));
  REQUIRE(std::freopen(capture.c_str(), "w", stdout) != nullptr);
  int status = 0;
  try {
    status = run();
  } catch (...) {
    std::fflush(stdout);
    ::dup2(saved, ::fileno(stdout));
    ::close(saved);
    throw;
  }
  std::fflush(stdout);
  ::dup2(saved, ::fileno(stdout));
  ::close(saved);
  std::ifstream f(capture);
  *printed = std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return status;
}

// A small 1-channel HS-ResNet for 8x8 images with running statistics that are not the
// initial ones, saved as a checkpoint; `model` keeps it for reference forwards.
ModelMeta tiny_meta() {
  ModelMeta meta;
  meta.model = "hs_resnet29_cifar";
  meta.options = {{"in_channels", 1}, {"classes", 10}, {"w0", 2}};
  meta.dataset = "fashion-mnist";
  meta.channels = 1;
  meta.height = 8;
  meta.width = 8;
  meta.mean = {0.3f};
  meta.std = {0.4f};
  for (int c = 0; c < 10; ++c) meta.class_names.push_back("class" + std::to_string(c));
  return meta;
}

std::shared_ptr<models::ResNet> tiny_model(const ModelMeta& meta) {
  nn::manual_seed(5);
  auto model = build_model(meta);
  Generator gen(11);
  NoGradGuard no_grad;
  model->train();
  (*model)(Variable(randn({6, 1, 8, 8}, gen, {}, 0.2, 1.5)));
  return model;
}

// The model's eval forward on byte images normalised directly: (x/255 - mean)/std.
Tensor reference_logits(models::ResNet& model, const ModelMeta& meta,
                        const std::vector<std::uint8_t>& pixels, std::int64_t n) {
  std::vector<float> input(pixels.size());
  for (std::size_t i = 0; i < pixels.size(); ++i)
    input[i] = static_cast<float>((pixels[i] / 255.0 - meta.mean[0]) / meta.std[0]);
  model.eval();
  NoGradGuard no_grad;
  return model(Variable(from_vector(input, {n, 1, meta.height, meta.width}))).data().contiguous();
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> parts;
  std::stringstream ss(line);
  std::string part;
  while (std::getline(ss, part, sep)) parts.push_back(part);
  return parts;
}

void write_u32_be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

// A Fashion-MNIST-named IDX test split of n 8x8 images in dir; returns its pixels.
std::vector<std::uint8_t> write_idx_test_split(const TempDir& dir, int n, Generator& gen) {
  std::vector<std::uint8_t> images, labels, pixels;
  write_u32_be(images, 0x803);
  write_u32_be(images, n);
  write_u32_be(images, 8);
  write_u32_be(images, 8);
  write_u32_be(labels, 0x801);
  write_u32_be(labels, n);
  for (int i = 0; i < n * 64; ++i)
    pixels.push_back(static_cast<std::uint8_t>(gen.next_u64() % 256));
  images.insert(images.end(), pixels.begin(), pixels.end());
  for (int i = 0; i < n; ++i) labels.push_back(static_cast<std::uint8_t>((3 * i + 1) % 10));
  write_bytes(dir.file("t10k-images-idx3-ubyte"), images);
  write_bytes(dir.file("t10k-labels-idx1-ubyte"), labels);
  return pixels;
}

}  // namespace

TEST_CASE("read_png decodes 8-bit gray and RGB exactly", "[predict][png]") {
  TempDir dir("hsnet-test-predict-png8");
  PngSpec gray{5, 6, PNG_COLOR_TYPE_GRAY, 8, {}};
  PngSpec rgb{5, 6, PNG_COLOR_TYPE_RGB, 8, {}};
  for (int y = 0; y < 6; ++y) {
    gray.rows.emplace_back();
    rgb.rows.emplace_back();
    for (int x = 0; x < 5; ++x) {
      gray.rows[y].push_back(pattern(2, y, x));
      for (int c = 0; c < 3; ++c) rgb.rows[y].push_back(pattern(c, y, x));
    }
  }
  write_png(dir.file("gray.png"), gray);
  write_png(dir.file("rgb.png"), rgb);
  rgb.interlaced = true;
  write_png(dir.file("rgb_interlaced.png"), rgb);

  const Image g = read_png(dir.file("gray.png"));
  REQUIRE(g.channels == 1);
  REQUIRE(g.height == 6);
  REQUIRE(g.width == 5);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 5; ++x) REQUIRE(at(g, 0, y, x) == pattern(2, y, x));
  for (const char* name : {"rgb.png", "rgb_interlaced.png"}) {
    const Image im = read_png(dir.file(name));
    REQUIRE(im.channels == 3);
    REQUIRE(im.height == 6);
    REQUIRE(im.width == 5);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 5; ++x) REQUIRE(at(im, c, y, x) == pattern(c, y, x));
  }
}

TEST_CASE("read_png drops alpha and keeps the stored colour", "[predict][png]") {
  TempDir dir("hsnet-test-predict-alpha");
  PngSpec rgba{3, 2, PNG_COLOR_TYPE_RGBA, 8, {}};
  PngSpec gray_alpha{3, 2, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {}};
  for (int y = 0; y < 2; ++y) {
    rgba.rows.emplace_back();
    gray_alpha.rows.emplace_back();
    for (int x = 0; x < 3; ++x) {
      for (int c = 0; c < 3; ++c) rgba.rows[y].push_back(pattern(c, y, x));
      rgba.rows[y].push_back(static_cast<std::uint8_t>(x * 100));  // alpha, 0 included
      gray_alpha.rows[y].push_back(pattern(1, y, x));
      gray_alpha.rows[y].push_back(static_cast<std::uint8_t>(y * 90));
    }
  }
  write_png(dir.file("rgba.png"), rgba);
  write_png(dir.file("ga.png"), gray_alpha);
  const Image a = read_png(dir.file("rgba.png"));
  REQUIRE(a.channels == 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) REQUIRE(at(a, c, y, x) == pattern(c, y, x));
  const Image g = read_png(dir.file("ga.png"));
  REQUIRE(g.channels == 1);
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 3; ++x) REQUIRE(at(g, 0, y, x) == pattern(1, y, x));
}

TEST_CASE("read_png expands palettes and low bit depths", "[predict][png]") {
  TempDir dir("hsnet-test-predict-palette");
  const std::vector<png_color> palette = {{10, 20, 30}, {200, 100, 0}, {0, 255, 128}, {7, 8, 9}};
  // 8-bit palette: one index per byte.
  PngSpec p8{4, 2, PNG_COLOR_TYPE_PALETTE, 8, {{0, 1, 2, 3}, {3, 2, 1, 0}}, palette};
  // 2-bit palette: four indices per byte, most significant first.
  PngSpec p2{4, 2, PNG_COLOR_TYPE_PALETTE, 2, {{0b00011011}, {0b11100100}}, palette};
  // 1-bit gray: 0 -> 0, 1 -> 255.
  PngSpec g1{4, 2, PNG_COLOR_TYPE_GRAY, 1, {{0b10100000}, {0b01010000}}};
  write_png(dir.file("p8.png"), p8);
  write_png(dir.file("p2.png"), p2);
  write_png(dir.file("g1.png"), g1);
  const int index[2][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}};
  for (const char* name : {"p8.png", "p2.png"}) {
    const Image im = read_png(dir.file(name));
    REQUIRE(im.channels == 3);
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 4; ++x) {
        const png_color& col = palette[index[y][x]];
        REQUIRE(at(im, 0, y, x) == col.red);
        REQUIRE(at(im, 1, y, x) == col.green);
        REQUIRE(at(im, 2, y, x) == col.blue);
      }
  }
  const Image g = read_png(dir.file("g1.png"));
  REQUIRE(g.channels == 1);
  const int bits[2][4] = {{1, 0, 1, 0}, {0, 1, 0, 1}};
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 4; ++x) REQUIRE(at(g, 0, y, x) == 255 * bits[y][x]);
}

TEST_CASE("read_png scales 16-bit samples to 8 bits with rounding", "[predict][png]") {
  TempDir dir("hsnet-test-predict-png16");
  const std::vector<std::uint16_t> values = {0, 1000, 40000, 65535, 12850, 300};
  PngSpec gray{3, 2, PNG_COLOR_TYPE_GRAY, 16, {{}, {}}};
  PngSpec rgb{1, 2, PNG_COLOR_TYPE_RGB, 16, {{}, {}}};
  for (int i = 0; i < 6; ++i) {
    gray.rows[i / 3].push_back(static_cast<std::uint8_t>(values[i] >> 8));
    gray.rows[i / 3].push_back(static_cast<std::uint8_t>(values[i] & 0xff));
    rgb.rows[i / 3].push_back(static_cast<std::uint8_t>(values[i] >> 8));
    rgb.rows[i / 3].push_back(static_cast<std::uint8_t>(values[i] & 0xff));
  }
  write_png(dir.file("g16.png"), gray);
  write_png(dir.file("rgb16.png"), rgb);
  const Image g = read_png(dir.file("g16.png"));
  const Image c = read_png(dir.file("rgb16.png"));
  REQUIRE(g.channels == 1);
  REQUIRE(c.channels == 3);
  for (int i = 0; i < 6; ++i) {
    const int expected = static_cast<int>(std::lround(values[i] * 255.0 / 65535.0));
    REQUIRE(at(g, 0, i / 3, i % 3) == expected);
    REQUIRE(at(c, i % 3, i / 3, 0) == expected);
  }
}

TEST_CASE("read_png reports missing, foreign, truncated and corrupt files by name",
          "[predict][png][errors]") {
  TempDir dir("hsnet-test-predict-bad");
  PngSpec gray{16, 16, PNG_COLOR_TYPE_GRAY, 8, {}};
  Generator gen(3);
  for (int y = 0; y < 16; ++y) {
    gray.rows.emplace_back();
    for (int x = 0; x < 16; ++x) gray.rows[y].push_back(static_cast<std::uint8_t>(gen.next_u64()));
  }
  write_png(dir.file("good.png"), gray);
  const std::vector<std::uint8_t> good = file_bytes(dir.file("good.png"));
  REQUIRE(read_png(dir.file("good.png")).pixels.size() == 256);

  const std::string missing = dir.file("missing.png");
  REQUIRE_THROWS_WITH(read_png(missing), Contains(missing) && Contains("cannot open"));

  write_bytes(dir.file("text.png"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
  REQUIRE_THROWS_WITH(read_png(dir.file("text.png")),
                      Contains(dir.file("text.png")) && Contains("not a PNG"));
  write_bytes(dir.file("empty.png"), {});
  REQUIRE_THROWS_WITH(read_png(dir.file("empty.png")), Contains("not a PNG"));

  for (std::size_t keep : {std::size_t{8}, std::size_t{30}, good.size() / 2, good.size() - 5}) {
    write_bytes(dir.file("cut.png"), {good.begin(), good.begin() + keep});
    REQUIRE_THROWS_WITH(read_png(dir.file("cut.png")),
                        Contains(dir.file("cut.png")) && Contains("corrupt PNG"));
  }

  // A flipped byte inside the image data breaks the IDAT chunk's CRC.
  std::vector<std::uint8_t> flipped = good;
  const std::string bytes(good.begin(), good.end());
  const std::size_t idat = bytes.find("IDAT");
  REQUIRE(idat != std::string::npos);
  flipped[idat + 10] ^= 0x5a;
  write_bytes(dir.file("crc.png"), flipped);
  REQUIRE_THROWS_WITH(read_png(dir.file("crc.png")),
                      Contains(dir.file("crc.png")) && Contains("corrupt PNG"));

  // From memory: the same pixels as from the file, and the given name in every error.
  CHECK(decode_png(good.data(), good.size(), "in-memory").pixels ==
        read_png(dir.file("good.png")).pixels);
  CHECK_THROWS_WITH(decode_png(flipped.data(), flipped.size(), "in-memory"),
                    Contains("in-memory") && Contains("corrupt PNG"));
  CHECK_THROWS_WITH(decode_png(good.data(), 30, "in-memory"),
                    Contains("in-memory") && Contains("corrupt PNG"));
  CHECK_THROWS_WITH(decode_png(nullptr, 0, "in-memory"),
                    Contains("in-memory") && Contains("not a PNG"));

  // A valid header claiming 100000 x 100000 gray pixels (10 GB) is refused before decoding.
  std::vector<std::uint8_t> huge = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  auto push32 = [&](std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
      huge.push_back(static_cast<std::uint8_t>(v >> shift));
  };
  const std::vector<std::uint8_t> ihdr = {'I', 'H',  'D',  'R', 0, 1, 0x86, 0xa0, 0,
                                          1,   0x86, 0xa0, 8,   0, 0, 0,    0};
  // png_read_info reads up to the first IDAT chunk: an empty one, then IEND.
  for (const std::vector<std::uint8_t>& chunk :
       {ihdr, std::vector<std::uint8_t>{'I', 'D', 'A', 'T'},
        std::vector<std::uint8_t>{'I', 'E', 'N', 'D'}}) {
    push32(static_cast<std::uint32_t>(chunk.size() - 4));
    huge.insert(huge.end(), chunk.begin(), chunk.end());
    push32(static_cast<std::uint32_t>(crc32(0, chunk.data(), static_cast<uInt>(chunk.size()))));
  }
  CHECK_THROWS_WITH(decode_png(huge.data(), huge.size(), "huge.png"),
                    Contains("huge.png") && Contains("100000x100000 pixels is too large"));
}

TEST_CASE("convert_channels replicates gray and takes RGB luminance", "[predict]") {
  Generator gen(7);
  const Image gray = make_image(1, 3, 4, gen);
  const Image rgb = convert_channels(gray, 3);
  REQUIRE(rgb.channels == 3);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) REQUIRE(at(rgb, c, y, x) == at(gray, 0, y, x));

  const Image colour = make_image(3, 3, 4, gen);
  const Image lum = convert_channels(colour, 1);
  REQUIRE(lum.channels == 1);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 4; ++x) {
      const double expected =
          0.299 * at(colour, 0, y, x) + 0.587 * at(colour, 1, y, x) + 0.114 * at(colour, 2, y, x);
      REQUIRE(std::abs(at(lum, 0, y, x) - expected) <= 0.5);
    }
  REQUIRE(convert_channels(colour, 3).pixels == colour.pixels);
  REQUIRE_THROWS_WITH(convert_channels(colour, 4), Contains("convert_channels"));
  REQUIRE_THROWS_WITH(convert_channels(make_image(2, 2, 2, gen), 1), Contains("convert_channels"));
}

TEST_CASE("resize_bilinear interpolates with aligned pixel centres", "[predict]") {
  Generator gen(9);
  const Image im = make_image(2, 4, 6, gen);
  REQUIRE(resize_bilinear(im, 4, 6).pixels == im.pixels);

  // Halving: every output centre falls between four input pixels, so it is their mean.
  const Image half = resize_bilinear(im, 2, 3);
  for (int c = 0; c < 2; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) {
        const double mean = (at(im, c, 2 * y, 2 * x) + at(im, c, 2 * y, 2 * x + 1) +
                             at(im, c, 2 * y + 1, 2 * x) + at(im, c, 2 * y + 1, 2 * x + 1)) /
                            4.0;
        REQUIRE(std::abs(at(half, c, y, x) - mean) <= 0.5 + 1e-9);
      }

  // Doubling a row [a, b]: sources -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  const Image pair{1, 1, 2, {40, 200}};
  const Image wide = resize_bilinear(pair, 1, 4);
  REQUIRE(wide.pixels == std::vector<std::uint8_t>{40, 80, 160, 200});
  const Image tall = resize_bilinear(Image{1, 2, 1, {40, 200}}, 4, 1);
  REQUIRE(tall.pixels == std::vector<std::uint8_t>{40, 80, 160, 200});

  const Image flat{1, 1, 1, {77}};
  const Image big = resize_bilinear(flat, 5, 3);
  REQUIRE(big.pixels == std::vector<std::uint8_t>(15, 77));
  REQUIRE_THROWS_WITH(resize_bilinear(im, 0, 3), Contains("resize_bilinear"));
}

TEST_CASE("top_classes ranks by logit with softmax probabilities", "[predict]") {
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
  const auto top = top_classes(logits.data(), 5, 3);
  REQUIRE(top.size() == 3);
  REQUIRE(top[0].first == 1);  // ties go to the lower class index
  REQUIRE(top[1].first == 3);
  REQUIRE(top[2].first == 4);
  double total = 0;
  for (float l : logits) total += std::exp(static_cast<double>(l));
  for (const auto& [c, p] : top)
    REQUIRE(p == Approx(std::exp(static_cast<double>(logits[c])) / total).epsilon(1e-12));
  const auto all = top_classes(logits.data(), 5, 50);
  REQUIRE(all.size() == 5);
  double sum = 0;
  for (const auto& entry : all) sum += entry.second;
  REQUIRE(sum == Approx(1.0).epsilon(1e-12));
  REQUIRE(all.back().first == 2);
  REQUIRE_THROWS_WITH(top_classes(logits.data(), 5, 0), Contains("topk"));
}

TEST_CASE("predict prints each image's top classes from the model's eval forward",
          "[predict][cli]") {
  TempDir dir("hsnet-test-predict-cli-images");
  const ModelMeta meta = tiny_meta();
  auto model = tiny_model(meta);
  save_weights(*model, meta, dir.file("model.safetensors"));

  // A gray image of the model's size, an RGB one (fed as luminance) and a larger gray one
  // (resized to 8x8).
  Generator gen(21);
  std::vector<Image> images = {make_image(1, 8, 8, gen), make_image(3, 8, 8, gen),
                               make_image(1, 16, 12, gen)};
  const std::vector<std::string> names = {dir.file("a.png"), dir.file("b.png"), dir.file("c.png")};
  for (std::size_t i = 0; i < images.size(); ++i) {
    const Image& im = images[i];
    PngSpec spec{static_cast<int>(im.width),
                 static_cast<int>(im.height),
                 im.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 8,
                 {}};
    for (int y = 0; y < im.height; ++y) {
      spec.rows.emplace_back();
      for (int x = 0; x < im.width; ++x)
        for (int c = 0; c < im.channels; ++c) spec.rows[y].push_back(at(im, c, y, x));
    }
    write_png(names[i], spec);
  }

  std::vector<std::uint8_t> fitted;
  fitted.insert(fitted.end(), images[0].pixels.begin(), images[0].pixels.end());
  const Image lum = convert_channels(images[1], 1);
  fitted.insert(fitted.end(), lum.pixels.begin(), lum.pixels.end());
  const Image small = resize_bilinear(images[2], 8, 8);
  fitted.insert(fitted.end(), small.pixels.begin(), small.pixels.end());
  const Tensor expected = reference_logits(*model, meta, fitted, 3);

  std::string printed;
  REQUIRE(run_predict({"--checkpoint", dir.file("model.safetensors"), "--topk", "3", "--threads",
                       "1", "--batch-size", "2", names[0], names[1], names[2]},
                      &printed) == 0);
  const std::vector<std::string> lines = split(printed, '\n');
  REQUIRE(lines.size() == 3);
  const float* e = expected.data<float>();
  for (int i = 0; i < 3; ++i) {
    std::string want = names[i] + ":";
    const char* separator = " ";
    for (const auto& [c, p] : top_classes(e + i * 10, 10, 3)) {
      char value[32];
      std::snprintf(value, sizeof value, " %.3f", p);
      want += separator + meta.class_names[c] + value;
      separator = ", ";
    }
    REQUIRE(lines[i] == want);
  }

  write_bytes(dir.file("bad.png"), {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0});
  REQUIRE_THROWS_WITH(
      run_predict({"--checkpoint", dir.file("model.safetensors"), names[0], dir.file("bad.png")}),
      Contains(dir.file("bad.png")) && Contains("corrupt PNG"));
  REQUIRE_THROWS_WITH(
      run_predict({"--checkpoint", dir.file("model.safetensors"), "--topk", "0", names[0]}),
      Contains("--topk"));
  REQUIRE_THROWS_WITH(run_predict({"--checkpoint", dir.file("model.safetensors")}),
                      Contains("nothing to do"));
  REQUIRE_THROWS_WITH(run_predict({"--checkpoint", dir.file("model.safetensors"), "--logits",
                                   dir.file("x.csv"), names[0]}),
                      Contains("not both"));
  REQUIRE_THROWS_WITH(
      run_predict({"--checkpoint", dir.file("model.safetensors"), "--limit", "2", names[0]}),
      Contains("--limit"));
  REQUIRE_THROWS_WITH(run_predict({"--checkpoint", dir.file("nope.safetensors"), names[0]}),
                      Contains(dir.file("nope.safetensors")));
}

TEST_CASE("predict --logits writes the eval logits of the test split in file order",
          "[predict][cli]") {
  TempDir dir("hsnet-test-predict-cli-logits");
  const ModelMeta meta = tiny_meta();
  auto model = tiny_model(meta);
  save_weights(*model, meta, dir.file("model.safetensors"));
  Generator gen(31);
  const int n = 9, limit = 7;
  const std::vector<std::uint8_t> pixels = write_idx_test_split(dir, n, gen);
  const Tensor expected = reference_logits(
      *model, meta, std::vector<std::uint8_t>(pixels.begin(), pixels.begin() + limit * 64), limit);

  const std::string out = dir.file("logits.csv");
  std::string printed;
  REQUIRE(run_predict({"--checkpoint", dir.file("model.safetensors"), "--data", dir.path().string(),
                       "--logits", out, "--limit", std::to_string(limit), "--batch-size", "3",
                       "--threads", "1"},
                      &printed) == 0);
  REQUIRE_THAT(printed, Contains("7 fashion-mnist test images") && Contains(out));
  std::ifstream f(out);
  std::string line;
  REQUIRE(std::getline(f, line));
  std::string header = "index,label";
  for (int c = 0; c < 10; ++c) header += ",logit_" + std::to_string(c);
  REQUIRE(line == header);
  const float* e = expected.data<float>();
  int rows = 0;
  while (std::getline(f, line)) {
    const std::vector<std::string> cells = split(line, ',');
    REQUIRE(cells.size() == 12);
    REQUIRE(std::stoi(cells[0]) == rows);
    REQUIRE(std::stoi(cells[1]) == (3 * rows + 1) % 10);
    for (int c = 0; c < 10; ++c)
      REQUIRE(std::stod(cells[2 + c]) == Approx(e[rows * 10 + c]).margin(1e-5).epsilon(1e-5));
    ++rows;
  }
  REQUIRE(rows == limit);
  for (const auto& entry : fs::directory_iterator(dir.path()))
    REQUIRE(entry.path().string().find(".tmp-") == std::string::npos);

  // Failures leave an existing output as it was.
  write_bytes(out, {'o', 'l', 'd'});
  REQUIRE_THROWS_WITH(run_predict({"--checkpoint", dir.file("model.safetensors"), "--data",
                                   dir.file("no_such_dir"), "--logits", out}),
                      Contains("no_such_dir"));
  REQUIRE(file_bytes(out) == std::vector<std::uint8_t>{'o', 'l', 'd'});
  REQUIRE_THROWS_WITH(
      run_predict({"--checkpoint", dir.file("model.safetensors"), "--data", dir.path().string(),
                   "--logits", dir.file("missing_dir/out.csv")}),
      Contains("cannot write"));
  REQUIRE_THROWS_WITH(run_predict({"--checkpoint", dir.file("model.safetensors"), "--dataset",
                                   "cifar10", "--data", dir.path().string(), "--logits", out}),
                      Contains("test_batch.bin"));
  REQUIRE(file_bytes(out) == std::vector<std::uint8_t>{'o', 'l', 'd'});
}
