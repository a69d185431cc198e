// Loader: every sample exactly once per epoch, batch counts, reproducible order and
// augmentation from (seed, epoch), restarting and resuming epochs, errors from the
// background thread, and shutdown at any point.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"
#include "data/augment.h"
#include "data/loader.h"

using namespace hs;
using namespace hs::data;
using Catch::Contains;

namespace {

// n images of 1x2x2 that carry their own index: bytes (i / 256, i % 256, i % 7, 3);
// label i % 5.
ImageDataset numbered_dataset(std::int64_t n) {
  ImageDataset ds;
  ds.n = n;
  ds.channels = 1;
  ds.height = 2;
  ds.width = 2;
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t byte : {i / 256, i % 256, i % 7, std::int64_t{3}})
      ds.pixels.push_back(static_cast<std::uint8_t>(byte));
    ds.labels.push_back(i % 5);
  }
  ds.num_classes = 5;
  ds.class_names = {"a", "b", "c", "d", "e"};
  ds.name = "numbered";
  return ds;
}

// The image indices of a batch of numbered_dataset without normalisation, checking that
// each label belongs to its image.
std::vector<std::int64_t> sample_ids(const Batch& batch) {
  const std::vector<float> pixels = batch.images.to_vector<float>();
  const std::vector<std::int64_t> labels = batch.labels.to_vector<std::int64_t>();
  std::vector<std::int64_t> ids;
  for (std::size_t b = 0; b < labels.size(); ++b) {
    const auto id =
        std::lround(pixels[4 * b] * 255.0f) * 256 + std::lround(pixels[4 * b + 1] * 255.0f);
    CHECK(labels[b] == id % 5);
    ids.push_back(id);
  }
  return ids;
}

std::vector<Batch> whole_epoch(Loader& loader, std::int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  Batch batch;
  while (loader.next(batch)) batches.push_back(batch);
  return batches;
}

std::vector<std::int64_t> epoch_ids(Loader& loader, std::int64_t epoch) {
  std::vector<std::int64_t> ids;
  for (const Batch& batch : whole_epoch(loader, epoch)) {
    const auto batch_ids = sample_ids(batch);
    ids.insert(ids.end(), batch_ids.begin(), batch_ids.end());
  }
  return ids;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].index != b[i].index) return false;
    if (a[i].images.to_vector<float>() != b[i].images.to_vector<float>()) return false;
    if (a[i].labels.to_vector<std::int64_t>() != b[i].labels.to_vector<std::int64_t>())
      return false;
  }
  return true;
}

}  // namespace

TEST_CASE("an epoch yields every sample exactly once", "[data]") {
  const ImageDataset ds = numbered_dataset(103);
  Loader loader(ds, {.batch_size = 10, .shuffle = true, .seed = 5});
  REQUIRE(loader.batches_per_epoch() == 11);
  const std::vector<Batch> batches = whole_epoch(loader, 0);
  REQUIRE(batches.size() == 11);
  std::vector<std::int64_t> ids;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const std::int64_t size = b + 1 < batches.size() ? 10 : 3;
    CHECK(batches[b].index == static_cast<std::int64_t>(b));
    CHECK(batches[b].images.shape() == Shape{size, 1, 2, 2});
    CHECK(batches[b].images.dtype() == DType::f32);
    CHECK(batches[b].labels.shape() == Shape{size});
    CHECK(batches[b].labels.dtype() == DType::i64);
    const auto batch_ids = sample_ids(batches[b]);
    ids.insert(ids.end(), batch_ids.begin(), batch_ids.end());
  }
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 103);
  CHECK(*std::min_element(ids.begin(), ids.end()) == 0);
  CHECK(*std::max_element(ids.begin(), ids.end()) == 102);
  std::vector<std::int64_t> in_order(103);
  for (std::int64_t i = 0; i < 103; ++i) in_order[i] = i;
  CHECK(ids != in_order);  // shuffled

  // The epoch stays over until the next start_epoch.
  Batch batch;
  CHECK_FALSE(loader.next(batch));
  CHECK_FALSE(loader.next(batch));
}

TEST_CASE("drop_last skips the short final batch", "[data]") {
  const ImageDataset ds = numbered_dataset(103);
  Loader loader(ds, {.batch_size = 10, .drop_last = true, .seed = 5});
  REQUIRE(loader.batches_per_epoch() == 10);
  for (std::int64_t epoch : {0, 1}) {
    const std::vector<Batch> batches = whole_epoch(loader, epoch);
    REQUIRE(batches.size() == 10);
    std::set<std::int64_t> ids;
    for (const Batch& batch : batches) {
      CHECK(batch.images.size(0) == 10);
      for (std::int64_t id : sample_ids(batch)) CHECK(ids.insert(id).second);
    }
    CHECK(ids.size() == 100);
  }
}

TEST_CASE("batch counts for exact, short and empty datasets", "[data]") {
  const ImageDataset hundred = numbered_dataset(100), five = numbered_dataset(5),
                     none = numbered_dataset(0);
  CHECK(Loader(hundred, {.batch_size = 10}).batches_per_epoch() == 10);
  CHECK(Loader(hundred, {.batch_size = 10, .drop_last = true}).batches_per_epoch() == 10);
  CHECK(Loader(hundred, {.batch_size = 1000}).batches_per_epoch() == 1);
  CHECK(Loader(five, {.batch_size = 10}).batches_per_epoch() == 1);
  Loader dropped(five, {.batch_size = 10, .drop_last = true});
  CHECK(dropped.batches_per_epoch() == 0);
  CHECK(whole_epoch(dropped, 0).empty());
  Loader empty(none, {.batch_size = 4});
  CHECK(empty.batches_per_epoch() == 0);
  CHECK(whole_epoch(empty, 0).empty());
}

TEST_CASE("without shuffling the samples come in dataset order", "[data]") {
  const ImageDataset ds = numbered_dataset(300);
  Loader loader(ds, {.batch_size = 64, .shuffle = false});
  std::vector<std::int64_t> expected(300);
  for (std::int64_t i = 0; i < 300; ++i) expected[i] = i;
  CHECK(epoch_ids(loader, 0) == expected);
  CHECK(epoch_ids(loader, 1) == expected);
}

TEST_CASE("batch values are the augmented images", "[data]") {
  const ImageDataset ds = numbered_dataset(9);
  Augment aug;
  aug.mean = {0.25f};
  aug.std = {0.5f};
  Loader loader(ds, {.batch_size = 4, .shuffle = false, .augment = aug});
  const std::vector<Batch> batches = whole_epoch(loader, 0);
  REQUIRE(batches.size() == 3);
  const std::vector<float> pixels = batches[1].images.to_vector<float>();
  for (std::int64_t b = 0; b < 4; ++b)
    for (std::int64_t k = 0; k < 4; ++k)
      CHECK(pixels[4 * b + k] == Approx((ds.image(4 + b)[k] / 255.0 - 0.25) / 0.5).margin(1e-6));
}

TEST_CASE("order and augmentation depend only on seed and epoch", "[data]") {
  const ImageDataset ds = numbered_dataset(257);
  Augment aug;
  aug.pad = 1;
  aug.flip = true;
  const LoaderOptions options{.batch_size = 32, .augment = aug, .seed = 42};
  Loader first(ds, options), second(ds, options);

  SECTION("same seed, same batches") {
    for (std::int64_t epoch : {0, 1, 2})
      CHECK(same_batches(whole_epoch(first, epoch), whole_epoch(second, epoch)));
  }
  SECTION("resuming at a later epoch reproduces it without replaying earlier ones") {
    const auto epoch0 = whole_epoch(first, 0);
    const auto epoch1 = whole_epoch(first, 1);
    const auto epoch2 = whole_epoch(first, 2);
    CHECK(same_batches(whole_epoch(second, 2), epoch2));
    CHECK(same_batches(whole_epoch(second, 0), epoch0));
    CHECK_FALSE(same_batches(epoch1, epoch2));
  }
  SECTION("different epoch or seed, different order") {
    const ImageDataset plain = numbered_dataset(257);
    Loader a(plain, {.batch_size = 32, .seed = 42}), b(plain, {.batch_size = 32, .seed = 43});
    const auto a0 = epoch_ids(a, 0);
    CHECK(a0 != epoch_ids(a, 1));
    CHECK(a0 != epoch_ids(b, 0));
    CHECK(a0 == epoch_ids(a, 0));
  }
}

TEST_CASE("start_epoch abandons an unfinished epoch", "[data]") {
  const ImageDataset ds = numbered_dataset(200);
  const LoaderOptions options{.batch_size = 16, .seed = 9};
  Loader interrupted(ds, options), fresh(ds, options);
  interrupted.start_epoch(0);
  Batch batch;
  REQUIRE(interrupted.next(batch));
  REQUIRE(interrupted.next(batch));
  CHECK(batch.index == 1);
  CHECK(same_batches(whole_epoch(interrupted, 1), whole_epoch(fresh, 1)));
  // Restarting the same epoch replays it from its first batch.
  interrupted.start_epoch(1);
  REQUIRE(interrupted.next(batch));
  CHECK(batch.index == 0);
  CHECK(same_batches(whole_epoch(interrupted, 1), whole_epoch(fresh, 1)));
}

TEST_CASE("the destructor returns promptly at any point of an epoch", "[data]") {
  ImageDataset ds;
  ds.n = 2000;
  ds.channels = 3;
  ds.height = 32;
  ds.width = 32;
  ds.pixels.assign(ds.n * 3 * 32 * 32, 128);
  ds.labels.assign(ds.n, 1);
  ds.num_classes = 2;
  ds.class_names = {"x", "y"};
  Augment aug;
  aug.pad = 4;
  aug.flip = true;
  const LoaderOptions options{.batch_size = 256, .augment = aug};
  const auto start = std::chrono::steady_clock::now();
  { Loader never_started(ds, options); }
  {
    Loader just_started(ds, options);
    just_started.start_epoch(0);
  }
  {
    Loader mid_epoch(ds, options);
    mid_epoch.start_epoch(3);
    Batch batch;
    REQUIRE(mid_epoch.next(batch));
    REQUIRE(mid_epoch.next(batch));
  }
  {
    Loader finished(ds, options);
    whole_epoch(finished, 0);
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("an error on the background thread is rethrown by next", "[data]") {
  ImageDataset ds = numbered_dataset(20);
  Loader loader(ds, {.batch_size = 8});
  // The worker only reads the dataset after start_epoch, so this change is race-free.
  ds.pixels.resize(10);
  loader.start_epoch(0);
  Batch batch;
  REQUIRE_THROWS_WITH(loader.next(batch), Contains("Loader") && Contains("changed size"));
}

TEST_CASE("Loader rejects bad options and inconsistent datasets", "[data]") {
  ImageDataset ds = numbered_dataset(10);
  REQUIRE_THROWS_WITH(Loader(ds, {.batch_size = 0}), Contains("batch_size must be > 0, got 0"));
  Augment three_channels;
  three_channels.mean = {0.1f, 0.2f, 0.3f};
  three_channels.std = {1.0f, 1.0f, 1.0f};
  REQUIRE_THROWS_WITH(Loader(ds, {.augment = three_channels}),
                      Contains("Loader") && Contains("1 channel"));
  {
    Loader loader(ds, {});
    Batch batch;
    REQUIRE_THROWS_WITH(loader.next(batch), Contains("start_epoch"));
    REQUIRE_THROWS_WITH(loader.start_epoch(-1), Contains("epoch must be >= 0"));
  }
  ds.labels[3] = 12;
  REQUIRE_THROWS_WITH(Loader(ds, {}), Contains("label 12 of image 3") && Contains("[0, 5)"));
  ds.labels.pop_back();
  REQUIRE_THROWS_WITH(Loader(ds, {}), Contains("9 labels for 10 images"));
  ds = numbered_dataset(10);
  ds.pixels.pop_back();
  REQUIRE_THROWS_WITH(Loader(ds, {}), Contains("39 pixel bytes"));
  ds = numbered_dataset(10);
  ds.class_names.pop_back();
  REQUIRE_THROWS_WITH(Loader(ds, {}), Contains("5 classes but 4 class names"));
}
