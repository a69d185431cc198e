// Every command answers a bad option, value or file with exit status 2 and a message naming
// what is wrong (README "Exit statuses and errors", docs/errors.md), never with a signal or
// CLI11's own exit codes.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli_test_util.h"

namespace {

struct Case {
  std::string args, message;
};

}  // namespace

TEST_CASE("every command exits 2 on a bad option, value or file, naming it", "[tools][cli]") {
  const std::vector<Case> cases = {
      {"frobnicate", "unknown command 'frobnicate' (commands: "},
      {"", "A subcommand is required"},
      {"train --config /nonexistent/config.json", "cannot read /nonexistent/config.json"},
      {"train --epochs many", "--epochs"},
      {"eval --checkpoint /nonexistent/w.safetensors", "cannot open '/nonexistent/w.safetensors'"},
      {"predict --checkpoint /nonexistent/w.safetensors a.png",
       "cannot open '/nonexistent/w.safetensors'"},
      {"summary --model resnet7", "unknown model 'resnet7'"},
      {"summary --model resnet20_cifar --input 3x0x8", "--input must look like 3x32x32"},
      {"summary --model resnet20_cifar --bogus 1", "--bogus"},
      {"gradcheck --target vgg_block", "unknown --target 'vgg_block'"},
      {"export --model resnet7 --out /nonexistent/x", "unknown model 'resnet7'"},
      {"export --model resnet20_cifar --input 3x0 --out /nonexistent/x",
       "export: --input must look like 3x32x32, got '3x0'"},
      {"bench --model resnet7", "unknown model 'resnet7'"},
      {"bench --model resnet20_cifar --batch 0", "--batch and --steps must be >= 1"},
      {"bench --model resnet20_cifar --batch abc", "--batch"},
      {"sweep --config /nonexistent/spec.json", "cannot read the spec /nonexistent/spec.json"},
      {"selftest --device tpu", "unknown device 'tpu'"},
      {"explain --block hs --s 1", "split number s must be >= 2, got 1"},
      {"explain --block vgg", "--block must be hs, res2net or sk, got 'vgg'"},
      {"data download imagenet", "no published source for dataset 'imagenet'"},
  };
  for (const Case& c : cases) {
    INFO("hsnet " << c.args);
    const auto [status, out] = hs::test::run_hsnet(c.args);
    INFO(out);
    CHECK(status == 2);
    CHECK(out.find(c.message) != std::string::npos);
  }
}

TEST_CASE("--help is not an error", "[tools][cli]") {
  for (const std::string args : {"--help", "train --help", "sweep --help"}) {
    INFO("hsnet " << args);
    const auto [status, out] = hs::test::run_hsnet(args);
    CHECK(status == 0);
    CHECK(out.find("Usage:") != std::string::npos);
  }
}
