// The thread knob: OpenMP team size and OpenBLAS threads move together, and a GEMM-calling
// parallel loop under SingleThreadedBlas keeps all its threads.
#include <omp.h>

#include <catch2/catch.hpp>

#include "core/threads.h"

namespace {

int team_size() {
  int size = 0;
#pragma omp parallel
  {
#pragma omp single
    size = omp_get_num_threads();
  }
  return size;
}

}  // namespace

TEST_CASE("set_num_threads sets the OpenMP team size") {
  hs::set_num_threads(3);
  REQUIRE(hs::num_threads() == 3);
  REQUIRE(team_size() == 3);
  hs::set_num_threads(1);
  REQUIRE(team_size() == 1);
}

TEST_CASE("SingleThreadedBlas leaves the OpenMP loop it guards at full width") {
  // OpenBLAS's OpenMP build changes the OpenMP team size in openblas_set_num_threads(): a
  // guard that called it made every guarded loop run on one thread.
  hs::set_num_threads(2);
  {
    const hs::SingleThreadedBlas single_threaded_blas;
    REQUIRE(team_size() == 2);
  }
  REQUIRE(hs::num_threads() == 2);
  REQUIRE(team_size() == 2);
}
