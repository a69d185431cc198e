#pragma once
// Running hsnet under `mpirun` from a test: the skip where MPI is absent, and one launcher
// line (root allowed, --oversubscribe for more ranks than cores, the sanitizer settings).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace hs::test {

// Exit 77 (skipped) where mpirun is absent or hsnet was built without MPI.
inline void skip_without_mpirun() {
  const char* built = std::getenv("HSNET_HAVE_MPI");
  if (built == nullptr || std::string(built) != "1" ||
      std::system("command -v mpirun >/dev/null 2>&1") != 0) {
    std::puts("mpirun absent or hsnet built without MPI: skipping");
    std::exit(77);
  }
}

// The environment of the ranks, as NAME=VALUE. As root mpirun refuses to start without the
// first two.
// In a sanitizer build the ranks keep AddressSanitizer's and UBSan's checks but not the leak
// check: OpenMPI's components, dlopen'ed and closed again at MPI_Finalize, leave allocations
// that LeakSanitizer reports with stacks it cannot attribute (the plugins are gone), and
// attributing them takes the slow unwinder on every malloc, a step ten times slower. The
// same training code is leak-checked in the single-process tests.
inline std::vector<std::string> mpirun_environment() {
  std::vector<std::string> env = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"};
  if (const char* asan = std::getenv("ASAN_OPTIONS"))
    env.push_back("ASAN_OPTIONS=" + std::string(asan) + ":detect_leaks=0");
  return env;
}

// The launcher's arguments: `mpirun --oversubscribe -np RANKS`.
inline std::vector<std::string> mpirun_arguments(int ranks) {
  return {"mpirun", "--oversubscribe", "-np", std::to_string(ranks)};
}

// `env ... mpirun ...` as a run_hsnet prefix; `passed` names variables of the test's
// environment to pass on to the ranks with -x.
inline std::string mpirun_prefix(int ranks, const std::vector<std::string>& passed = {}) {
  std::string line = "env";
  for (const std::string& e : mpirun_environment()) line += " '" + e + "'";
  for (const std::string& a : mpirun_arguments(ranks)) line += " " + a;
  for (const std::string& name : passed) line += " -x " + name;
  return line;
}

}  // namespace hs::test
