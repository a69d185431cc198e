// The split-proportion rule (nn::split_widths) and the `split` option of the HS models:
// widths sum exactly to the channels, every width is >= 1 and within one channel of its
// exact share where the share allows, worked examples of the rounding and the minimum,
// every error, and the widths the CIFAR and ImageNet families give their HS blocks.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/registry.h"
#include "nn/hs_block.h"

using namespace hs;
using Widths = std::vector<std::int64_t>;

namespace {

std::int64_t sum_of(const Widths& w) {
  std::int64_t s = 0;
  for (std::int64_t x : w) s += x;
  return s;
}

// The group widths of every HSBlock in `model`, in module order.
std::vector<Widths> hs_block_widths(const models::ResNet& model) {
  std::vector<Widths> out;
  for (const auto& [name, m] : model.named_modules())
    if (const auto* block = dynamic_cast<const nn::HSBlock*>(m)) {
      Widths w;
      for (const nn::HSGroupPlan& g : block->plan()) w.push_back(g.width);
      out.push_back(w);
    }
  return out;
}

}  // namespace

TEST_CASE("split_widths sums to the channels, keeps every width >= 1 and near its share") {
  const std::vector<std::vector<double>> splits = {{1, 1},
                                                   {1, 3},
                                                   {1, 1, 2, 4},
                                                   {4, 2, 1, 1},
                                                   {1, 2, 3},
                                                   {0.5, 0.25, 0.25},
                                                   {1, 1, 1, 1, 1, 1, 1, 10}};
  for (const auto& split : splits)
    for (std::int64_t c = static_cast<std::int64_t>(split.size()); c <= 130; c += 7) {
      INFO("split of size " << split.size() << " over " << c << " channels");
      const Widths w = nn::split_widths(split, c);
      REQUIRE(w.size() == split.size());
      CHECK(sum_of(w) == c);
      double total = 0;
      for (double p : split) total += p;
      bool all_shares_at_least_one = true;
      for (double p : split)
        all_shares_at_least_one = all_shares_at_least_one && c * p / total >= 1;
      for (std::size_t i = 0; i < w.size(); ++i) {
        CHECK(w[i] >= 1);
        if (all_shares_at_least_one) CHECK(std::abs(w[i] - c * split[i] / total) < 1.0);
      }
    }
}

TEST_CASE("split_widths: exact shares, rounding to the largest remainder, the minimum of 1") {
  CHECK(nn::split_widths({1, 1, 2, 4}, 32) == Widths{4, 4, 8, 16});
  CHECK(nn::split_widths({1, 1, 2, 4}, 8) == Widths{1, 1, 2, 4});
  // 10/3 each: the one channel left over goes to the earlier group.
  CHECK(nn::split_widths({1, 1, 1}, 10) == Widths{4, 3, 3});
  // Shares 1.6, 3.2, 3.2 -> floors 1, 3, 3; the leftover goes to the largest remainder (0.6).
  CHECK(nn::split_widths({1, 2, 2}, 8) == Widths{2, 3, 3});
  // Shares 0.38, 0.38, 0.38, 3.85: three groups are raised to 1, which the big one pays for.
  CHECK(nn::split_widths({1, 1, 1, 10}, 5) == Widths{1, 1, 1, 2});
  CHECK(nn::split_widths({1, 100}, 2) == Widths{1, 1});
}

TEST_CASE("split_widths: proportions that cannot be met are errors saying why") {
  CHECK_THROWS_WITH(nn::split_widths({1}, 8), Catch::Contains("at least 2 proportions"));
  CHECK_THROWS_WITH(nn::split_widths({}, 8), Catch::Contains("at least 2 proportions"));
  CHECK_THROWS_WITH(nn::split_widths({1, 0}, 8), Catch::Contains("must be > 0, got 0"));
  CHECK_THROWS_WITH(nn::split_widths({1, -2}, 8), Catch::Contains("must be > 0, got -2"));
  CHECK_THROWS_WITH(nn::split_widths({1, NAN}, 8), Catch::Contains("must be > 0"));
  CHECK_THROWS_WITH(
      nn::split_widths({1, 1, 2, 4}, 3),
      Catch::Contains("4 groups need at least 4 channels") && Catch::Contains("the stage has 3"));
}

TEST_CASE("hs_resnet29_cifar with split divides each stage's s·w0·2^k channels") {
  const auto model =
      models::create_model("hs_resnet29_cifar", {{"w0", 2}, {"split", {1, 1, 2, 4}}});
  const std::vector<Widths> widths = hs_block_widths(*model);
  REQUIRE(widths.size() == 9);  // 3 stages of 3 blocks
  for (int b = 0; b < 3; ++b) {
    CHECK(widths[b] == Widths{1, 1, 2, 4});       // 4·2 = 8 channels
    CHECK(widths[3 + b] == Widths{2, 2, 4, 8});   // 16
    CHECK(widths[6 + b] == Widths{4, 4, 8, 16});  // 32
  }
  // s, when given, must agree with the number of proportions.
  CHECK_NOTHROW(models::create_model("hs_resnet29_cifar", {{"s", 3}, {"split", {1, 2, 3}}}));
  CHECK_THROWS_WITH(models::create_model("hs_resnet29_cifar", {{"s", 4}, {"split", {1, 2, 3}}}),
                    Catch::Contains("split has 3 proportions but s is 4"));
  CHECK_THROWS_WITH(models::create_model("hs_resnet29_cifar", {{"split", {1, 0}}}),
                    Catch::Contains("'split' must hold numbers > 0"));
  CHECK_THROWS_WITH(models::create_model("hs_resnet29_cifar", {{"split", 4}}),
                    Catch::Contains("'split' must be a list of at least 2 proportions"));
  CHECK_THROWS_WITH(models::create_model("resnet20_cifar", {{"split", {1, 1}}}),
                    Catch::Contains("unknown option 'split' for resnet20_cifar"));
}

TEST_CASE("hs_resnet50 with an uneven split needs no width divisible by s") {
  CHECK_THROWS_WITH(models::create_model("hs_resnet50", {{"s", 3}, {"classes", 10}}),
                    Catch::Contains("not divisible by s=3"));
  const auto model = models::create_model("hs_resnet50", {{"split", {1, 2, 3}}, {"classes", 10}});
  const std::vector<Widths> widths = hs_block_widths(*model);
  REQUIRE(!widths.empty());
  CHECK(widths.front() == nn::split_widths({1, 2, 3}, 64));  // stage 1: 64 channels
  CHECK(widths.front() == Widths{11, 21, 32});
  CHECK(widths.back() == nn::split_widths({1, 2, 3}, 512));
  // base_width 2: stage 1 has 2 channels, too few for 3 groups.
  CHECK_THROWS_WITH(
      models::create_model("hs_resnet50",
                           {{"split", {1, 2, 3}}, {"base_width", 2}, {"classes", 10}}),
      Catch::Contains("3 groups need at least 3 channels") && Catch::Contains("the stage has 2"));
}
