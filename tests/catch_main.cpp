// Main of the CPU test programs: Catch2's runner, after the device backends are installed
// (tests that need a GPU skip themselves where none is present).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "ops/backends.h"

int main(int argc, char* argv[]) {
  hs::register_backends();
  return Catch::Session().run(argc, argv);
}
