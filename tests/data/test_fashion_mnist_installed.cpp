// The Fashion-MNIST files Debian's dataset-fashion-mnist installs load with the published
// counts and statistics. Its own main: without the files the program exits 77, which meson
// reports as skipped (not passed).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "data/datasets.h"
#include "data/idx.h"

using namespace hs;
using namespace hs::data;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
  const std::string dir = default_data_dir("fashion-mnist");
  if (!fs::exists(fs::path(dir) / "t10k-images-idx3-ubyte.gz") &&
      !fs::exists(fs::path(dir) / "t10k-images-idx3-ubyte")) {
    std::printf("SKIPPED: Fashion-MNIST is not installed in %s (Debian: dataset-fashion-mnist)\n",
                dir.c_str());
    return 77;
  }
  return Catch::Session().run(argc, argv);
}

TEST_CASE("the installed Fashion-MNIST files load", "[data][real]") {
  const std::string dir = default_data_dir("fashion-mnist");
  const ImageDataset test = load_dataset("fashion-mnist", "", false);
  REQUIRE(test.n == 10000);
  CHECK(test.channels == 1);
  CHECK(test.height == 28);
  CHECK(test.width == 28);
  std::vector<std::int64_t> per_class(10, 0);
  for (std::int64_t label : test.labels) {
    REQUIRE(label >= 0);
    REQUIRE(label < 10);
    ++per_class[label];
  }
  for (std::int64_t count : per_class) CHECK(count == 1000);

  // The published normalisation constants are the training set's statistics.
  const ImageDataset train = load_fashion_mnist(dir, true);
  REQUIRE(train.n == 60000);
  const ChannelStats stats = channel_stats(train);
  CHECK(stats.mean[0] == Approx(0.2860).margin(5e-4));
  CHECK(stats.std[0] == Approx(0.3530).margin(5e-4));
}
