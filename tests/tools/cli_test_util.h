#pragma once
// Runs the built hsnet executable (HSNET_EXE, set by meson test) from a test.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

namespace hs::test {

// Runs `prefix hsnet args` through the shell (prefix: e.g. environment settings with env);
// returns the exit status and standard output and error together.
inline std::pair<int, std::string> run_hsnet(const std::string& args,
                                             const std::string& prefix = "") {
  const char* exe = std::getenv("HSNET_EXE");
  INFO("HSNET_EXE (set by meson test) must name the built hsnet executable");
  REQUIRE(exe != nullptr);
  FILE* pipe = ::popen((prefix + " " + exe + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));
  return {WEXITSTATUS(status), out};
}

// `args` joined by spaces, as run_hsnet takes them (no quoting: test paths have no spaces).
inline std::string joined(const std::vector<std::string>& args) {
  std::string line;
  for (const std::string& a : args) line += (line.empty() ? "" : " ") + a;
  return line;
}

}  // namespace hs::test
