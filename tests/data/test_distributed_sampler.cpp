// DistributedSampler semantics: each rank's share of an epoch, padding by wrapping, the
// ranks' batches together forming the one-process batch, and a Loader over one share.
#include <algorithm>
#include <catch2/catch.hpp>
#include <numeric>
#include <set>
#include <vector>

#include "core/error.h"
#include "data/distributed_sampler.h"
#include "data/loader.h"

using namespace hs;
using namespace hs::data;

namespace {

// n 1x1x1 images whose byte and label are their index (n <= 256).
ImageDataset indexed_dataset(std::int64_t n) {
  ImageDataset ds;
  ds.n = n;
  ds.channels = ds.height = ds.width = 1;
  for (std::int64_t i = 0; i < n; ++i) {
    ds.pixels.push_back(static_cast<std::uint8_t>(i));
    ds.labels.push_back(i);
  }
  ds.num_classes = n;
  for (std::int64_t i = 0; i < n; ++i) ds.class_names.push_back(std::to_string(i));
  ds.name = "indexed";
  return ds;
}

std::vector<std::int64_t> epoch_labels(Loader& loader, std::int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<std::int64_t> labels;
  Batch b;
  while (loader.next(b))
    for (std::int64_t l : b.labels.to_vector<std::int64_t>()) labels.push_back(l);
  return labels;
}

}  // namespace

TEST_CASE("shard: rank r takes positions r, r+K, ... of the order padded by wrapping") {
  const std::vector<std::int64_t> order = {4, 0, 3, 1, 2};
  // Padded to 6 as PyTorch does (indices += indices[:1]): 4 0 3 1 2 4.
  CHECK(shard_size(5, 2) == 3);
  CHECK(shard(order, 2, 0) == std::vector<std::int64_t>{4, 3, 2});
  CHECK(shard(order, 2, 1) == std::vector<std::int64_t>{0, 1, 4});
  // More ranks than samples: the order wraps more than once.
  CHECK(shard({7, 8}, 5, 4) == std::vector<std::int64_t>{7});
  CHECK(shard({7, 8}, 5, 3) == std::vector<std::int64_t>{8});
  CHECK(shard(order, 1, 0) == order);
  CHECK_THROWS_WITH(shard(order, 2, 2), Catch::Contains("rank 2 is not in [0, 2)"));
  CHECK_THROWS_WITH(shard(order, 0, 0), Catch::Contains("replicas must be >= 1"));
  CHECK_THROWS_WITH(shard({}, 2, 0), Catch::Contains("empty order"));
}

TEST_CASE("Loader with replicas: the ranks' i-th batches make up the one-process batch") {
  const ImageDataset ds = indexed_dataset(48);
  LoaderOptions one;
  one.batch_size = 12;
  one.seed = 9;
  Loader whole(ds, one);
  for (std::int64_t epoch : {0, 1}) {
    const std::vector<std::int64_t> all = epoch_labels(whole, epoch);
    std::vector<std::vector<std::int64_t>> ranks;
    for (int r = 0; r < 3; ++r) {
      LoaderOptions o = one;
      o.batch_size = 4;
      o.replicas = 3;
      o.rank = r;
      Loader loader(ds, o);
      REQUIRE(loader.batches_per_epoch() == 4);
      ranks.push_back(epoch_labels(loader, epoch));
    }
    for (std::int64_t batch = 0; batch < 4; ++batch) {
      std::multiset<std::int64_t> together;
      for (const auto& labels : ranks)
        together.insert(labels.begin() + batch * 4, labels.begin() + batch * 4 + 4);
      const std::multiset<std::int64_t> expected(all.begin() + batch * 12,
                                                 all.begin() + batch * 12 + 12);
      CHECK(together == expected);
    }
  }
}

TEST_CASE("Loader with replicas: uneven shares are padded, every sample is read") {
  const ImageDataset ds = indexed_dataset(10);
  std::multiset<std::int64_t> seen;
  for (int r = 0; r < 4; ++r) {
    LoaderOptions o;
    o.batch_size = 2;
    o.seed = 1;
    o.replicas = 4;
    o.rank = r;
    Loader loader(ds, o);
    const std::vector<std::int64_t> labels = epoch_labels(loader, 0);
    CHECK(labels.size() == 3);  // ceil(10 / 4)
    seen.insert(labels.begin(), labels.end());
  }
  REQUIRE(seen.size() == 12);
  for (std::int64_t i = 0; i < 10; ++i) CHECK(seen.count(i) >= 1);
  LoaderOptions bad;
  bad.replicas = 2;
  bad.rank = 2;
  CHECK_THROWS_WITH(Loader(ds, bad), Catch::Contains("rank 2 is not in [0, 2)"));
}
