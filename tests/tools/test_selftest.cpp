// hsnet selftest's machinery with the CPU as the device under test: comparing the CPU with
// itself it must find every result identical and report PASS; a perturbed device result
// must turn every row and the verdict to FAIL; CUDA on a build or machine without a GPU is
// an hs::Error; and the hsnet executable prints the verdict last and exits 0 or 1.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "cli_test_util.h"
#include "core/backend.h"
#include "core/error.h"
#include "tools/selftest.h"

using namespace hs;
using namespace hs::tools;
using hs::test::run_hsnet;

namespace {

SelftestOptions cpu_options(std::int64_t steps) {
  SelftestOptions o;
  o.device = Device::cpu();
  o.train_steps = steps;
  return o;
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("selftest on the CPU finds every result identical and passes", "[tools][selftest]") {
  const SelftestOptions o = cpu_options(3);
  const SelftestReport r = run_selftest(o);
  REQUIRE(r.ops.size() >= 40);
  for (const SelftestCheck& c : r.ops) {
    INFO(c.name);
    CHECK(c.max_abs_err == 0.0);
    CHECK(c.ok);
  }
  REQUIRE(r.steps.size() == 3);
  for (const SelftestStep& s : r.steps) {
    CHECK(s.device_loss == s.cpu_loss);
    CHECK(s.cpu_loss > 0.5);  // a 10-class loss near log(10), not an empty number
    CHECK(s.weights_ratio == 0.0);
    CHECK(s.stats_ratio == 0.0);
    CHECK(s.ok);
  }
  CHECK(r.steps.back().cpu_loss < r.steps.front().cpu_loss);  // it trains
  REQUIRE(r.ok());
  std::ostringstream out;
  print_selftest(r, o, out);
  CHECK(out.str().find("conv2d 3x3 backward weight") != std::string::npos);
  CHECK(out.str().find("softmax dim=1 backward") != std::string::npos);
  CHECK(last_line(out.str()) == "selftest: PASS");
}

TEST_CASE("selftest fails every check when the device's results are perturbed",
          "[tools][selftest]") {
  SelftestOptions o = cpu_options(2);
  o.perturbation = 1e-2;
  const SelftestReport r = run_selftest(o);
  for (const SelftestCheck& c : r.ops) {
    INFO(c.name);
    CHECK(c.max_abs_err == Approx(1e-2));
    CHECK(!c.ok);
  }
  for (const SelftestStep& s : r.steps) CHECK(!s.ok);
  REQUIRE(!r.ok());
  std::ostringstream out;
  print_selftest(r, o, out);
  CHECK(last_line(out.str()) == "selftest: FAIL");
}

TEST_CASE("selftest's training comparison fails a device whose weights or BN statistics are off",
          "[tools][selftest]") {
  for (const double error : {1.5 * kSelftestWeightsTol, -1.5 * kSelftestWeightsTol}) {
    INFO("weights_error " << error);
    SelftestOptions o = cpu_options(2);
    o.weights_error = error;
    const SelftestReport r = run_selftest(o);
    for (const SelftestStep& s : r.steps) {
      CHECK(s.device_loss == s.cpu_loss);
      CHECK(s.stats_ratio == 0.0);
      CHECK(s.weights_ratio == Approx(1.5).epsilon(0.05));
      CHECK(!s.ok);
    }
    CHECK(!r.ok());
  }
  // Within the tolerance an error passes: the threshold sits where selftest.h says.
  SelftestOptions within = cpu_options(2);
  within.weights_error = 0.5 * kSelftestWeightsTol;
  for (const SelftestStep& s : run_selftest(within).steps) {
    CHECK(s.weights_ratio == Approx(0.5).epsilon(0.05));
    CHECK(s.ok);
  }
  SelftestOptions stats = cpu_options(2);
  stats.stats_error = 1e-3;
  const SelftestReport r = run_selftest(stats);
  for (const SelftestStep& s : r.steps) {
    CHECK(s.weights_ratio == 0.0);
    CHECK(s.stats_ratio > 1.0);
    CHECK(!s.ok);
  }
  std::ostringstream out;
  print_selftest(r, stats, out);
  CHECK(last_line(out.str()) == "selftest: FAIL");
}

TEST_CASE("selftest passes a device that differs from the CPU only by rounding",
          "[tools][selftest]") {
  // Every weight the device starts from is one f32 rounding away from the CPU's: the loss,
  // the statistics and the update differ by rounding and by the ReLUs it flips, as on a GPU.
  for (const std::uint64_t seed : {0, 1, 2}) {
    SelftestOptions o = cpu_options(20);
    o.seed = seed;
    o.rounding_twin = true;
    const SelftestReport r = run_selftest(o);
    double worst = 0;
    for (const SelftestStep& s : r.steps) {
      CHECK(s.ok);
      worst = std::max(worst, s.weights_ratio);
    }
    // The margin kSelftestWeightsTol leaves over rounding (see tools/selftest.cpp).
    WARN("seed " << seed << ": worst weights ratio " << worst);
    CHECK(worst <= 0.5);
    CHECK(worst > 0.0);  // the twin really differs
  }
}

TEST_CASE("selftest on CUDA without a usable GPU is an error", "[tools][selftest]") {
  if (cuda_available()) return;  // covered by running it: hsnet selftest --device cuda
  SelftestOptions o = cpu_options(1);
  o.device = Device::cuda();
  REQUIRE_THROWS_AS(run_selftest(o), Error);
  REQUIRE_THROWS_WITH(run_selftest(o), Catch::Contains("CUDA"));
}

TEST_CASE("hsnet selftest prints the verdict last and exits with it", "[tools][selftest]") {
  const auto [status, out] = run_hsnet("selftest --device cpu --steps 2");
  INFO(out);
  CHECK(status == 0);
  CHECK(last_line(out) == "selftest: PASS");
  if (!cuda_available()) {
    const auto [cuda_status, cuda_out] = run_hsnet("selftest --device cuda");
    INFO(cuda_out);
    CHECK(cuda_status == 2);
    CHECK(cuda_out.find("error:") != std::string::npos);
  }
}
