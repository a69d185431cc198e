// hsnet bench end to end on a tiny model: the report lines compare.py parses, and the
// OpenMP wait choice made at start-up — the user's settings are kept as given, and without
// them hsnet re-executes itself with a wait policy of its own (never libgomp's default).
#include <catch2/catch.hpp>
#include <regex>
#include <string>
#include <utility>

#include "cli_test_util.h"

using hs::test::run_hsnet;

namespace {

const std::string kTinyBench =
    "bench --model resnet20_cifar --batch 2 --size 8 --steps 1 --warmup 0 --threads 1";

std::string wait_of(const std::string& out) {
  std::smatch m;
  REQUIRE(std::regex_search(out, m, std::regex(R"(OpenMP wait: ([^\n]*)\)\n)")));
  return m[1];
}

}  // namespace

TEST_CASE("hsnet bench prints its timings and the parseable summary line", "[tools][bench]") {
  const auto [status, out] = run_hsnet(kTinyBench);
  INFO(out);
  REQUIRE(status == 0);
  REQUIRE(std::regex_search(
      out, std::regex(R"(bench: model=resnet20_cifar mode=train batch=2 img_per_s=[0-9.]+ )"
                      R"(ms_per_step=[0-9.]+ peak_rss_mb=[0-9.]+\n)")));
}

TEST_CASE("hsnet keeps the user's OpenMP wait settings", "[tools][bench]") {
  {
    const auto [status, out] =
        run_hsnet(kTinyBench, "env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active");
    INFO(out);
    REQUIRE(status == 0);
    REQUIRE(wait_of(out) == "OMP_WAIT_POLICY=active");
  }
  {
    const auto [status, out] = run_hsnet(kTinyBench, "env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=5");
    INFO(out);
    REQUIRE(status == 0);
    REQUIRE(wait_of(out) == "spin 5, then sleep");
  }
}

TEST_CASE("without settings hsnet chooses brief spinning or sleeping", "[tools][bench]") {
  const auto [status, out] = run_hsnet(kTinyBench, "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT");
  INFO(out);
  REQUIRE(status == 0);
  const std::string wait = wait_of(out);
  // Which one depends on how busy the machine is at start-up.
  REQUIRE((wait == "spin 100000, then sleep" || wait == "sleep (passive)"));
}

TEST_CASE("hsnet bench's train step may leave out the optimizer; bad choices are errors",
          "[tools][bench]") {
  for (const char* extra :
       {" --optimizer none", " --optimizer sgd", " --mode infer --calibrate 0"}) {
    const auto [status, out] = run_hsnet(kTinyBench + extra);
    INFO(extra << "\n" << out);
    REQUIRE(status == 0);
    REQUIRE(out.find("bench: model=resnet20_cifar") != std::string::npos);
  }
  const auto [bad_optimizer, out1] = run_hsnet(kTinyBench + " --optimizer adam");
  CHECK(bad_optimizer == 2);
  CHECK(out1.find("--optimizer must be sgd or none, got 'adam'") != std::string::npos);
  const auto [bad_calibrate, out2] = run_hsnet(kTinyBench + " --mode infer --calibrate -1");
  CHECK(bad_calibrate == 2);
  CHECK(out2.find("--calibrate must be >= 0") != std::string::npos);
}

TEST_CASE("hsnet bench's flops line counts the summary's MACs and matches its own timing",
          "[tools][bench]") {
  const auto [summary_status, summary] = run_hsnet("summary --model resnet20_cifar --input 3x8x8");
  INFO(summary);
  REQUIRE(summary_status == 0);
  std::smatch total;
  REQUIRE(std::regex_search(summary, total, std::regex(R"(total params=\d+ macs=(\d+))")));
  const double macs = std::stod(total[1]);
  for (const auto& [mode, passes] : {std::pair{"train", 3}, std::pair{"infer", 1}}) {
    const auto [status, out] = run_hsnet(kTinyBench + " --mode " + mode);
    INFO(mode << "\n" << out);
    REQUIRE(status == 0);
    std::smatch f, b;
    REQUIRE(std::regex_search(
        out, f,
        std::regex(R"(flops: macs_per_image=(\d+) gflop_per_image=(\S+) gflop_per_s=(\S+) )"
                   R"(sgemm_gflop_per_s=(\S+) of_sgemm=(\S+)\n)")));
    REQUIRE(std::regex_search(out, b, std::regex(R"(batch=(\d+) img_per_s=(\S+) ms_per_step)")));
    CHECK(std::stod(f[1]) == macs);
    const double gflop_per_image = std::stod(f[2]);
    CHECK(gflop_per_image == Approx(passes * 2.0 * macs / 1e9).epsilon(1e-5));
    // The rate is the bench line's images per second times the work per image.
    CHECK(std::stod(f[3]) == Approx(gflop_per_image * std::stod(b[2])).epsilon(1e-3));
    const double sgemm = std::stod(f[4]);
    CHECK(sgemm > 0.1);  // a 1024^3 product on one thread of any machine this runs on
    CHECK(std::stod(f[5]) == Approx(std::stod(f[3]) / sgemm).epsilon(1e-4));
  }
}
