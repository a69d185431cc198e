// Image folders (data/image_folder.h) through the Loader: classes from the sorted folder
// names, decoded pixel values (PNG exact, JPEG close), gray made RGB, random resized crops
// reproducible from the seed and independent of the decode threads, the evaluation's centre
// crop, and bad files: an error naming the file, or with skip_bad_images a counted skip.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "data/datasets.h"
#include "data/image_folder.h"
#include "data/loader.h"
#include "data/resized_crop.h"
#include "test_util/temp_dir.h"
#include "tests/data/image_tree_util.h"

using namespace hs;
using namespace hs::data;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// A gradient, so that crops and flips change the pixels.
Image gradient(std::int64_t height, std::int64_t width) {
  Image image{3, height, width, {}};
  for (std::int64_t c = 0; c < 3; ++c)
    for (std::int64_t y = 0; y < height; ++y)
      for (std::int64_t x = 0; x < width; ++x)
        image.pixels.push_back(static_cast<std::uint8_t>((c * 60 + y * 3 + x * 2) % 256));
  return image;
}

// train: cat/{a.jpg, b.png (gray), c.png}, dog/{d.jpg}; val: cat/e.png, dog/f.jpg; and a
// hidden file that is ignored.
void make_tree(const fs::path& root) {
  test::write_jpeg(root / "train/cat/a.jpg", test::flat_image(3, 30, 40, {200, 30, 60}));
  test::write_png(root / "train/cat/b.png", test::flat_image(1, 20, 20, {128}));
  test::write_png(root / "train/cat/c.png", gradient(50, 70));
  test::write_jpeg(root / "train/dog/d.jpg", test::flat_image(3, 16, 16, {10, 20, 250}));
  test::write_png(root / "val/cat/e.png", test::flat_image(3, 8, 12, {1, 2, 3}));
  test::write_jpeg(root / "val/dog/f.jpg", test::flat_image(3, 24, 24, {90, 90, 90}));
  test::write_bytes(root / "train/dog/.DS_Store", {1, 2, 3});
}

std::vector<Batch> epoch(const ImageDataset& ds, LoaderOptions options, std::int64_t e = 0) {
  Loader loader(ds, options);
  loader.start_epoch(e);
  std::vector<Batch> batches;
  Batch batch;
  while (loader.next(batch)) batches.push_back(batch);
  return batches;
}

std::vector<float> values(const Tensor& t) {
  const Tensor c = t.contiguous();
  return {c.data<float>(), c.data<float>() + c.numel()};
}

}  // namespace

TEST_CASE("an image folder lists its classes and files in name order", "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-scan");
  make_tree(dir.path());
  const ImageDataset train = load_dataset("folder", dir.path().string(), true, 16);
  CHECK(train.class_names == std::vector<std::string>{"cat", "dog"});
  CHECK(train.num_classes == 2);
  CHECK(train.n == 4);
  CHECK(train.labels == std::vector<std::int64_t>{0, 0, 0, 1});
  REQUIRE(train.files.size() == 4);
  CHECK(fs::path(train.files[0]).filename() == "a.jpg");
  CHECK(fs::path(train.files[3]).filename() == "d.jpg");
  CHECK((train.channels == 3 && train.height == 16 && train.width == 16));
  CHECK(train.pixels.empty());
  const ImageDataset val = load_dataset("folder", dir.path().string(), false, 16);
  CHECK(val.labels == std::vector<std::int64_t>{0, 1});
  CHECK(val.class_names == train.class_names);
  CHECK(subset(train, 2).files == std::vector<std::string>{train.files[0], train.files[1]});
}

TEST_CASE("evaluation batches hold the decoded colours, normalised", "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-values");
  make_tree(dir.path());
  const ImageDataset train = load_dataset("folder", dir.path().string(), true, 8);
  LoaderOptions o;
  o.batch_size = 4;
  o.shuffle = false;
  o.augment.mean = {0.5f, 0.25f, 0.125f};
  o.augment.std = {0.5f, 0.5f, 0.25f};
  const std::vector<Batch> batches = epoch(train, o);
  REQUIRE(batches.size() == 1);
  REQUIRE(batches[0].images.shape() == Shape{4, 3, 8, 8});
  const std::vector<float> v = values(batches[0].images);
  auto expect = [&](std::int64_t image, std::int64_t c, double byte) {
    return (byte / 255.0 - o.augment.mean[c]) / o.augment.std[c];
  };
  const std::int64_t plane = 64;
  for (std::int64_t c = 0; c < 3; ++c) {
    for (std::int64_t i = 0; i < plane; ++i) {
      // The gray PNG: exact, the same value in all three channels.
      REQUIRE(v[(1 * 3 + c) * plane + i] == Approx(expect(1, c, 128)).margin(1e-6));
      // The JPEGs: within a few levels of the colour they were written with.
      const std::vector<std::uint8_t> a = {200, 30, 60}, d = {10, 20, 250};
      REQUIRE(std::abs(v[(0 * 3 + c) * plane + i] - expect(0, c, a[c])) <= 4 / 255.0 / 0.25);
      REQUIRE(std::abs(v[(3 * 3 + c) * plane + i] - expect(3, c, d[c])) <= 4 / 255.0 / 0.25);
    }
  }
  CHECK(values(batches[0].labels.to(DType::f32)) == std::vector<float>{0, 0, 0, 1});
}

TEST_CASE("a random resized crop is the one its seed draws", "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-crop");
  make_tree(dir.path());
  const ImageDataset train = load_dataset("folder", dir.path().string(), true, 12);
  Augment aug;
  aug.random_resized_crop = true;
  aug.flip = true;
  std::vector<float> got(3 * 12 * 12), expected(3 * 12 * 12);
  Generator gen(5), replay(5);
  load_image_sample(train, 2, aug, gen, got.data());  // the gradient PNG, 50 x 70
  const Image image = read_image(train.files[2]);
  const CropBox box = random_resized_crop_box(50, 70, replay);
  const bool mirrored = replay.uniform() < 0.5;
  sample_normalised(image, crop_axis(box.top, box.height, 12), crop_axis(box.left, box.width, 12),
                    12, 12, mirrored, {}, {}, expected.data());
  CHECK(got == expected);
}

TEST_CASE("training batches come from the seed, whatever the decode threads", "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-seed");
  make_tree(dir.path());
  const ImageDataset train = load_dataset("folder", dir.path().string(), true, 10);
  LoaderOptions o;
  o.batch_size = 3;
  o.augment.random_resized_crop = true;
  o.augment.flip = true;
  o.seed = 11;
  const std::vector<Batch> one = epoch(train, o);
  o.decode_threads = 3;
  const std::vector<Batch> three = epoch(train, o);
  REQUIRE(one.size() == 2);
  REQUIRE(three.size() == 2);
  for (std::size_t b = 0; b < one.size(); ++b) {
    CHECK(values(one[b].images) == values(three[b].images));
    CHECK(values(one[b].labels.to(DType::f32)) == values(three[b].labels.to(DType::f32)));
  }
  o.seed = 12;
  const std::vector<Batch> other = epoch(train, o);
  CHECK(values(other[0].images) != values(one[0].images));
}

TEST_CASE("a bad file is an error naming it, or a counted skip", "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-bad");
  make_tree(dir.path());
  std::vector<std::uint8_t> cut = encode_jpeg(gradient(32, 32), 90);
  cut.resize(cut.size() / 3);
  test::write_bytes(dir.path() / "train/dog/broken.jpg", cut);
  test::write_bytes(dir.path() / "train/dog/notes.txt", {'h', 'i'});
  const ImageDataset train = load_dataset("folder", dir.path().string(), true, 8);
  REQUIRE(train.n == 6);
  LoaderOptions o;
  o.batch_size = 2;
  o.shuffle = false;
  SECTION("error") {
    // In name order: a.jpg b.png | c.png broken.jpg | d.jpg notes.txt.
    Loader loader(train, o);
    loader.start_epoch(0);
    Batch batch;
    REQUIRE(loader.next(batch));
    REQUIRE_THROWS_WITH(loader.next(batch), Contains("broken.jpg") && Contains("not a valid JPEG"));
    REQUIRE_THROWS_WITH(loader.next(batch),
                        Contains("notes.txt") && Contains("neither a JPEG nor a PNG"));
  }
  SECTION("skip") {
    o.skip_bad_images = true;
    Loader loader(train, o);
    for (std::int64_t e = 0; e < 2; ++e) {
      loader.start_epoch(e);
      Batch batch;
      std::int64_t images = 0;
      while (loader.next(batch)) images += batch.labels.size(0);
      CHECK(images == 4);
    }
    const std::vector<std::string> skipped = loader.skipped_files();
    REQUIRE(skipped.size() == 2);
    CHECK(fs::path(skipped[0]).filename() == "broken.jpg");
    CHECK(fs::path(skipped[1]).filename() == "notes.txt");
  }
}

TEST_CASE("a folder that is not laid out as train/<class>/ is an error naming it",
          "[data][folder]") {
  test::TempDir dir("hsnet-test-folder-layout");
  const std::string root = dir.path().string();
  REQUIRE_THROWS_WITH(load_dataset("folder", root, true, 8),
                      Contains("no folder " + root + "/train"));
  test::write_png(dir.path() / "train/cat/a.png", test::flat_image(3, 4, 4, {1, 2, 3}));
  REQUIRE_THROWS_WITH(load_dataset("folder", root, false, 8),
                      Contains("no folder " + root + "/val"));
  test::write_png(dir.path() / "val/bird/b.png", test::flat_image(3, 4, 4, {1, 2, 3}));
  REQUIRE_THROWS_WITH(load_dataset("folder", root, false, 8),
                      Contains("class 'bird'") && Contains("not among the classes"));
  test::write_png(dir.path() / "train/stray.png", test::flat_image(3, 4, 4, {1, 2, 3}));
  REQUIRE_THROWS_WITH(load_dataset("folder", root, true, 8),
                      Contains("stray.png") && Contains("not a class folder"));
  REQUIRE_THROWS_WITH(load_dataset("folder", root, true, 0), Contains("image size"));
}
