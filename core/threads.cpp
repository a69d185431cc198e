#include "core/threads.h"

#include <cblas.h>
#include <omp.h>

#include <thread>

namespace hs {

void set_num_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::thread::hardware_concurrency());
  if (n <= 0) n = 1;
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int num_threads() { return omp_get_max_threads(); }

SingleThreadedBlas::SingleThreadedBlas() : saved_(openblas_get_num_threads()) {
  openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() { openblas_set_num_threads(saved_); }

}  // namespace hs
