#include "core/threads.h"

#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>
#include <thread>

namespace hs {

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

namespace {

// OpenBLAS's OpenMP build runs single-threaded by itself inside a parallel region, and its
// openblas_set_num_threads() also sets the OpenMP team size: calling it there would shrink
// the very loop it is meant to serve to one thread. Only the pthreads build needs telling.
bool blas_threads_follow_openmp() { return openblas_get_parallel() == 2; }

// Threads of other processes that are runnable now: /proc/stat's procs_running minus this
// one, the busiest of a few samples 5 ms apart. -1 when /proc/stat cannot be read.
int other_runnable_threads() {
  int busiest = -1;
  for (int sample = 0; sample < 4; ++sample) {
    if (sample > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::ifstream stat("/proc/stat");
    std::string key;
    long value = -1;
    while (stat >> key) {
      if (key == "procs_running") {
        stat >> value;
        break;
      }
      stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    if (value < 1) return -1;
    busiest = std::max(busiest, static_cast<int>(value) - 1);
  }
  return busiest;
}

}  // namespace

void choose_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // Our threads default to one per core, so only an otherwise idle machine lets them spin.
  const int others = other_runnable_threads();
  setenv("OMP_WAIT_POLICY", "passive", 1);
  if (others == 0) setenv("GOMP_SPINCOUNT", std::to_string(kQuietSpinCount).c_str(), 1);
  execv("/proc/self/exe", argv);  // returns only on failure: run on with the default policy
}

const char* openmp_wait_description() {
  static const std::string text = [] {
    const char* policy = std::getenv("OMP_WAIT_POLICY");
    const char* spins = std::getenv("GOMP_SPINCOUNT");
    if (spins != nullptr) return "spin " + std::string(spins) + ", then sleep";
    if (policy == nullptr) return std::string("libgomp default");
    const std::string p = policy;
    if (p == "passive" || p == "PASSIVE") return std::string("sleep (passive)");
    return "OMP_WAIT_POLICY=" + p;
  }();
  return text.c_str();
}

SingleThreadedBlas::SingleThreadedBlas()
    : saved_(blas_threads_follow_openmp() ? 0 : openblas_get_num_threads()) {
  if (saved_ > 0) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

}  // namespace hs
