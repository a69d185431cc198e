#include "core/threads.h"

#include <cblas.h>
#include <omp.h>

#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace hs {

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

void reexec_with_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: run on with the default policy
}

namespace {
// OpenBLAS's OpenMP build runs single-threaded by itself inside a parallel region, and its
// openblas_set_num_threads() also sets the OpenMP team size: calling it there would shrink
// the very loop it is meant to serve to one thread. Only the pthreads build needs telling.
bool blas_threads_follow_openmp() { return openblas_get_parallel() == 2; }
}  // namespace

SingleThreadedBlas::SingleThreadedBlas()
    : saved_(blas_threads_follow_openmp() ? 0 : openblas_get_num_threads()) {
  if (saved_ > 0) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (saved_ > 0) openblas_set_num_threads(saved_);
}

}  // namespace hs
