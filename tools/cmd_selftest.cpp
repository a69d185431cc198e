// hsnet selftest: every operator on a device against its CPU twin, then SGD steps of a small
// HS-ResNet on both from the same weights; prints the tables and, last, "selftest: PASS"
// (exit status 0) or "selftest: FAIL" (exit status 1).
#include <iostream>
#include <memory>
#include <string>

#include "tools/commands.h"
#include "tools/selftest.h"

namespace hs::tools {

Command add_selftest(CLI::App& app) {
  auto device = std::make_shared<std::string>("cuda");
  auto options = std::make_shared<SelftestOptions>();
  app.add_option("--device", *device, "cuda | cuda:N | cpu (cpu compares the CPU with itself)")
      ->capture_default_str();
  app.add_option("--seed", options->seed, "seed of the inputs and weights")->capture_default_str();
  app.add_option("--steps", options->train_steps, "training steps compared")->capture_default_str();
  return [device, options]() {
    options->device = parse_device(*device);
    const SelftestReport report = run_selftest(*options);
    print_selftest(report, *options, std::cout);
    return report.ok() ? 0 : 1;
  };
}

}  // namespace hs::tools
