// Augmentation: crop with zero padding, horizontal flip and normalisation against
// references built with plain loops (an explicitly padded image, an explicit mirror), and
// per-channel statistics against a direct double-precision sum.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/generator.h"
#include "data/augment.h"
#include "data/dataset.h"

using namespace hs;
using namespace hs::data;
using Catch::Contains;

namespace {

// n images of c x h x w whose byte k of image i is (i * 53 + k * 7 + 1) % 256.
ImageDataset make_dataset(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  ImageDataset ds;
  ds.n = n;
  ds.channels = c;
  ds.height = h;
  ds.width = w;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < c * h * w; ++k)
      ds.pixels.push_back(static_cast<std::uint8_t>((i * 53 + k * 7 + 1) % 256));
  ds.labels.assign(n, 0);
  ds.num_classes = 1;
  ds.class_names = {"only"};
  ds.name = "synthetic";
  return ds;
}

std::vector<float> run_augment(const ImageDataset& ds, std::int64_t index, const Augment& aug,
                               std::uint64_t seed) {
  Generator gen(seed);
  std::vector<float> out(ds.image_size());
  augment_image(ds, index, aug, gen, out.data());
  return out;
}

// The expected output built the long way: draw the offsets and flip as documented, copy the
// image into an explicit zero-padded canvas, crop, mirror, then normalise in double.
std::vector<double> reference(const ImageDataset& ds, std::int64_t index, const Augment& aug,
                              std::uint64_t seed) {
  Generator gen(seed);
  const std::int64_t p = aug.pad, h = ds.height, w = ds.width;
  std::int64_t top = p, left = p;
  if (p > 0) {
    top = static_cast<std::int64_t>(gen.below(2 * p + 1));
    left = static_cast<std::int64_t>(gen.below(2 * p + 1));
  }
  const bool mirror = aug.flip && gen.uniform() < 0.5;
  std::vector<double> out;
  for (std::int64_t c = 0; c < ds.channels; ++c) {
    std::vector<std::vector<int>> canvas(h + 2 * p, std::vector<int>(w + 2 * p, 0));
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x)
        canvas[y + p][x + p] = ds.image(index)[(c * h + y) * w + x];
    const double mean = aug.mean.empty() ? 0.0 : aug.mean[c];
    const double deviation = aug.std.empty() ? 1.0 : aug.std[c];
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x) {
        const std::int64_t source_x = mirror ? w - 1 - x : x;
        out.push_back((canvas[top + y][left + source_x] / 255.0 - mean) / deviation);
      }
  }
  return out;
}

void check_close(const std::vector<float>& actual, const std::vector<double>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i)
    CHECK(actual[i] == Approx(expected[i]).margin(1e-5));
}

}  // namespace

TEST_CASE("without augmentation an image becomes x/255", "[data]") {
  const ImageDataset ds = make_dataset(2, 1, 3, 4);
  const std::vector<float> out = run_augment(ds, 1, {}, 0);
  for (std::int64_t k = 0; k < 12; ++k)
    CHECK(out[k] == Approx(ds.image(1)[k] / 255.0).margin(1e-7));
}

TEST_CASE("normalisation subtracts each channel's mean and divides by its std", "[data]") {
  const ImageDataset ds = make_dataset(1, 3, 2, 2);
  Augment aug;
  aug.mean = {0.5f, 0.25f, 0.1f};
  aug.std = {0.5f, 2.0f, 0.2f};
  const std::vector<float> out = run_augment(ds, 0, aug, 0);
  for (std::int64_t c = 0; c < 3; ++c)
    for (std::int64_t k = 0; k < 4; ++k) {
      const double x = ds.image(0)[c * 4 + k] / 255.0;
      CHECK(out[c * 4 + k] == Approx((x - aug.mean[c]) / aug.std[c]).margin(1e-5));
    }
}

TEST_CASE("random crop with padding shifts the image and fills the border with zeros", "[data]") {
  // A 3x3 image 1..9; find a seed whose draw moves the content one row up and one column
  // right (crop offset: row +1, column -1 in source coordinates).
  ImageDataset ds;
  ds.n = 1;
  ds.channels = 1;
  ds.height = 3;
  ds.width = 3;
  ds.pixels = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  ds.labels = {0};
  ds.num_classes = 1;
  ds.class_names = {"only"};
  Augment aug;
  aug.pad = 1;
  std::uint64_t seed = 0;
  for (;; ++seed) {
    Generator gen(seed);
    const auto top = gen.below(3), left = gen.below(3);
    if (top == 2 && left == 0) break;
  }
  const std::vector<float> out = run_augment(ds, 0, aug, seed);
  const std::vector<float> expected = {0, 4, 5, 0, 7, 8, 0, 0, 0};
  for (std::size_t k = 0; k < 9; ++k) CHECK(out[k] * 255.0f == Approx(expected[k]));
}

TEST_CASE("random crop covers every offset and matches a padded-canvas reference", "[data]") {
  const ImageDataset ds = make_dataset(3, 2, 5, 6);
  Augment aug;
  aug.pad = 2;
  aug.mean = {0.3f, 0.6f};
  aug.std = {0.2f, 0.4f};
  std::set<std::pair<std::uint64_t, std::uint64_t>> offsets;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Generator gen(seed);
    const auto top = gen.below(5);
    offsets.insert({top, gen.below(5)});
    check_close(run_augment(ds, seed % 3, aug, seed), reference(ds, seed % 3, aug, seed));
  }
  CHECK(offsets.size() == 25);
}

TEST_CASE("horizontal flip mirrors about half of the images", "[data]") {
  const ImageDataset ds = make_dataset(1, 2, 3, 5);
  Augment aug;
  aug.flip = true;
  const std::vector<float> plain = run_augment(ds, 0, {}, 0);
  int mirrored = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const std::vector<float> out = run_augment(ds, 0, aug, seed);
    bool is_mirror = true;
    for (std::int64_t c = 0; c < 2; ++c)
      for (std::int64_t y = 0; y < 3; ++y)
        for (std::int64_t x = 0; x < 5; ++x)
          is_mirror &= out[(c * 3 + y) * 5 + x] == plain[(c * 3 + y) * 5 + (4 - x)];
    if (is_mirror) {
      ++mirrored;
    } else {
      CHECK(out == plain);
    }
    check_close(out, reference(ds, 0, aug, seed));
  }
  CHECK(mirrored > 70);
  CHECK(mirrored < 130);
}

TEST_CASE("crop, flip and normalisation combine in that order", "[data]") {
  const ImageDataset ds = make_dataset(4, 3, 8, 7);
  Augment aug;
  aug.pad = 3;
  aug.flip = true;
  aug.mean = {0.4914f, 0.4822f, 0.4465f};
  aug.std = {0.2470f, 0.2435f, 0.2616f};
  for (std::uint64_t seed = 100; seed < 150; ++seed)
    check_close(run_augment(ds, seed % 4, aug, seed), reference(ds, seed % 4, aug, seed));
  // Same seed, same output.
  CHECK(run_augment(ds, 2, aug, 7) == run_augment(ds, 2, aug, 7));
}

TEST_CASE("check_augment rejects settings that do not fit the dataset", "[data]") {
  const ImageDataset ds = make_dataset(1, 3, 2, 2);
  Augment aug;
  REQUIRE_NOTHROW(check_augment(aug, ds, "test"));
  aug.pad = -1;
  REQUIRE_THROWS_WITH(check_augment(aug, ds, "test"),
                      Contains("test") && Contains("pad must be >= 0, got -1"));
  aug.pad = 0;
  aug.mean = {0.5f};
  aug.std = {0.5f};
  REQUIRE_THROWS_WITH(check_augment(aug, ds, "test"),
                      Contains("1 values per statistic") && Contains("3 channel"));
  aug.mean = {0.5f, 0.5f, 0.5f};
  REQUIRE_THROWS_WITH(check_augment(aug, ds, "test"),
                      Contains("3 means but 1 standard deviations"));
  aug.std = {0.5f, 0.0f, 0.5f};
  REQUIRE_THROWS_WITH(check_augment(aug, ds, "test"), Contains("std of channel 1 must be > 0"));
}

TEST_CASE("channel_stats matches a direct double-precision computation", "[data]") {
  const ImageDataset ds = make_dataset(7, 3, 4, 5);
  const ChannelStats stats = channel_stats(ds);
  REQUIRE(stats.mean.size() == 3);
  REQUIRE(stats.std.size() == 3);
  for (std::int64_t c = 0; c < 3; ++c) {
    double sum = 0.0, sum_sq = 0.0;
    for (std::int64_t i = 0; i < 7; ++i)
      for (std::int64_t k = 0; k < 20; ++k) {
        const double x = ds.image(i)[c * 20 + k] / 255.0;
        sum += x;
        sum_sq += x * x;
      }
    const double mean = sum / 140.0;
    CHECK(stats.mean[c] == Approx(mean).epsilon(1e-6));
    CHECK(stats.std[c] == Approx(std::sqrt(sum_sq / 140.0 - mean * mean)).epsilon(1e-5));
  }
  REQUIRE_THROWS_WITH(channel_stats(make_dataset(0, 1, 2, 2)),
                      Contains("channel_stats") && Contains("empty"));
}
