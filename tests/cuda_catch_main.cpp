// Main of the CUDA test programs: without a usable GPU they exit 77, which meson reports
// as skipped, never as passed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#include <cstdio>

#include "core/backend.h"
#include "ops/backends.h"

int main(int argc, char* argv[]) {
  hs::register_backends();
  if (!hs::cuda_available()) {
    std::puts("no CUDA device (or built without CUDA): skipping");
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
