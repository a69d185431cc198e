// Learning-rate schedules: values at chosen steps (warm-up start and end, cosine midpoint and
// end, milestones), the factory's epoch-to-step conversion, and every invalid argument.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>

#include "core/error.h"
#include "nn/lr_schedule.h"

using namespace hs;
using namespace hs::nn;
using Catch::Contains;

TEST_CASE("ConstantLr returns the base rate at every step", "[lr_schedule]") {
  const ConstantLr schedule(0.05);
  for (std::int64_t step : {0, 1, 999, 1000000}) REQUIRE(schedule.lr_at(step) == 0.05);
  REQUIRE_THROWS_WITH(schedule.lr_at(-1), Contains("constant") && Contains("step"));
  REQUIRE_THROWS_WITH(ConstantLr(0.0), Contains("constant") && Contains("base_lr"));
  REQUIRE_THROWS_WITH(ConstantLr(-0.1), Contains("constant") && Contains("-0.1"));
  REQUIRE_THROWS_AS(ConstantLr(std::nan("")), Error);
}

TEST_CASE("MultiStepLr multiplies by gamma at each milestone", "[lr_schedule]") {
  const MultiStepLr schedule(0.1, {300, 100}, 0.5);  // unsorted on purpose
  REQUIRE(schedule.lr_at(0) == 0.1);
  REQUIRE(schedule.lr_at(99) == 0.1);
  REQUIRE(schedule.lr_at(100) == Approx(0.05).epsilon(1e-15));
  REQUIRE(schedule.lr_at(299) == Approx(0.05).epsilon(1e-15));
  REQUIRE(schedule.lr_at(300) == Approx(0.025).epsilon(1e-15));
  REQUIRE(schedule.lr_at(100000) == Approx(0.025).epsilon(1e-15));

  const MultiStepLr repeated(1.0, {10, 10}, 0.1);  // a repeated milestone counts twice
  REQUIRE(repeated.lr_at(9) == 1.0);
  REQUIRE(repeated.lr_at(10) == Approx(0.01).epsilon(1e-15));

  const MultiStepLr none(0.3, {});
  REQUIRE(none.lr_at(12345) == 0.3);

  REQUIRE_THROWS_WITH(schedule.lr_at(-5), Contains("multistep") && Contains("-5"));
  REQUIRE_THROWS_WITH(MultiStepLr(0.0, {10}), Contains("multistep") && Contains("base_lr"));
  REQUIRE_THROWS_WITH(MultiStepLr(0.1, {10}, 0.0), Contains("multistep") && Contains("gamma"));
  REQUIRE_THROWS_WITH(MultiStepLr(0.1, {10, -3}), Contains("multistep") && Contains("-3"));
}

TEST_CASE("CosineLr warms up linearly then follows a half cosine", "[lr_schedule]") {
  const double base = 0.4, min_lr = 0.02;
  const CosineLr schedule(base, /*total_steps=*/110, /*warmup_steps=*/10, min_lr);
  // Warm-up: base·(step + 1)/warmup, reaching base at its last step.
  REQUIRE(schedule.lr_at(0) == Approx(0.04).epsilon(1e-14));
  REQUIRE(schedule.lr_at(4) == Approx(0.2).epsilon(1e-14));
  REQUIRE(schedule.lr_at(9) == Approx(base).epsilon(1e-14));
  // Cosine over T = 100 steps from the end of warm-up.
  REQUIRE(schedule.lr_at(10) == Approx(base).epsilon(1e-14));
  REQUIRE(schedule.lr_at(60) == Approx((base + min_lr) / 2).epsilon(1e-14));  // midpoint
  const double quarter = min_lr + (base - min_lr) * (1 + std::cos(std::numbers::pi / 4)) / 2;
  REQUIRE(schedule.lr_at(35) == Approx(quarter).epsilon(1e-14));
  const double last = min_lr + (base - min_lr) * (1 + std::cos(std::numbers::pi * 99 / 100)) / 2;
  REQUIRE(schedule.lr_at(109) == Approx(last).epsilon(1e-14));
  REQUIRE(schedule.lr_at(110) == Approx(min_lr).epsilon(1e-14));  // end
  REQUIRE(schedule.lr_at(5000) == min_lr);
  // Decreasing after warm-up.
  for (std::int64_t s = 10; s < 110; ++s) REQUIRE(schedule.lr_at(s + 1) < schedule.lr_at(s));

  const CosineLr no_warmup(1.0, 4);
  REQUIRE(no_warmup.lr_at(0) == 1.0);
  REQUIRE(no_warmup.lr_at(2) == Approx(0.5).epsilon(1e-15));
  REQUIRE(no_warmup.lr_at(4) == 0.0);
}

TEST_CASE("CosineLr rejects invalid arguments", "[lr_schedule]") {
  REQUIRE_THROWS_WITH(CosineLr(0.0, 10), Contains("cosine") && Contains("base_lr"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 0), Contains("cosine") && Contains("total_steps"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 10, 10), Contains("cosine") && Contains("warmup_steps"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 10, -1), Contains("cosine") && Contains("warmup_steps"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 10, 0, 0.2), Contains("cosine") && Contains("min_lr"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 10, 0, -0.01), Contains("cosine") && Contains("min_lr"));
  REQUIRE_THROWS_WITH(CosineLr(0.1, 10).lr_at(-1), Contains("cosine") && Contains("step"));
}

TEST_CASE("make_schedule converts epochs to steps", "[lr_schedule]") {
  const std::int64_t steps_per_epoch = 50;
  auto constant = make_schedule("constant", 0.1, steps_per_epoch, 10);
  REQUIRE(constant->lr_at(0) == 0.1);
  REQUIRE(constant->lr_at(499) == 0.1);

  auto multistep = make_schedule("multistep", 0.1, steps_per_epoch, 10, 0, {3, 6}, 0.2);
  REQUIRE(multistep->lr_at(149) == 0.1);
  REQUIRE(multistep->lr_at(150) == Approx(0.02).epsilon(1e-15));
  REQUIRE(multistep->lr_at(299) == Approx(0.02).epsilon(1e-15));
  REQUIRE(multistep->lr_at(300) == Approx(0.004).epsilon(1e-15));

  auto cosine = make_schedule("cosine", 0.1, steps_per_epoch, 10, 2);
  const CosineLr direct(0.1, 500, 100);
  for (std::int64_t step : {0, 50, 99, 100, 300, 499, 500})
    REQUIRE(cosine->lr_at(step) == direct.lr_at(step));
  REQUIRE(cosine->lr_at(0) == Approx(0.001).epsilon(1e-14));
  REQUIRE(cosine->lr_at(300) == Approx(0.05).epsilon(1e-14));
}

TEST_CASE("make_schedule rounds a fractional warm-up to whole steps", "[lr_schedule]") {
  // 0.25 of a 10-step epoch is 2.5 steps: rounded to 3, so a one-epoch run can warm up.
  const auto cosine = make_schedule("cosine", 0.1, 10, 1, 0.25);
  const CosineLr direct(0.1, 10, 3);
  for (std::int64_t step = 0; step <= 10; ++step)
    REQUIRE(cosine->lr_at(step) == direct.lr_at(step));
  REQUIRE(cosine->lr_at(0) == Approx(0.1 / 3).epsilon(1e-14));
  REQUIRE(cosine->lr_at(3) == Approx(0.1).epsilon(1e-14));
}

TEST_CASE("make_schedule rejects unknown names and out-of-range arguments", "[lr_schedule]") {
  REQUIRE_THROWS_WITH(
      make_schedule("step", 0.1, 10, 10),
      Contains("'step'") && Contains("constant") && Contains("multistep") && Contains("cosine"));
  REQUIRE_THROWS_WITH(make_schedule("cosine", 0.1, 0, 10), Contains("steps_per_epoch"));
  REQUIRE_THROWS_WITH(make_schedule("cosine", 0.1, 10, 0), Contains("epochs"));
  REQUIRE_THROWS_WITH(make_schedule("cosine", 0.1, 10, 5, 5), Contains("warmup_epochs"));
  REQUIRE_THROWS_WITH(make_schedule("cosine", 0.1, 10, 5, -1), Contains("warmup_epochs"));
  REQUIRE_THROWS_WITH(make_schedule("constant", 0.1, 10, 5, 1), Contains("warmup_epochs"));
  REQUIRE_THROWS_WITH(make_schedule("cosine", 0.1, 10, 5, 0, {2}), Contains("milestones"));
  REQUIRE_THROWS_WITH(make_schedule("multistep", 0.1, 10, 5, 0, {0}), Contains("milestone"));
  REQUIRE_THROWS_WITH(make_schedule("multistep", 0.1, 10, 5, 0, {6}), Contains("milestone"));
  REQUIRE_THROWS_WITH(make_schedule("multistep", 0.1, 10, 5, 0, {2}, -1.0), Contains("gamma"));
  REQUIRE_THROWS_WITH(make_schedule("constant", -0.1, 10, 5), Contains("base_lr"));
}
