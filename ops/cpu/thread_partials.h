#pragma once
// Sums per-thread partial results on the CPU: used by the convolution's weight gradients,
// where every thread adds its share of the images into a private copy of dw.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/threads.h"
#include "ops/cpu/scratch.h"
#include "ops/iteration.h"

namespace hs::ops::detail {

// dw = the sum of per-thread partial gradients: every OpenMP thread gets a zeroed partial
// sum (in its scratch) and calls add_work(partial), which holds an `omp for` over its share
// of the images; the partials are added up at the end.
template <class T, class AddWork>
void sum_thread_partials(std::int64_t w_size, T* dw, AddWork&& add_work) {
  std::vector<T*> partials(num_threads(), nullptr);
  int team = 1;
  {
    SingleThreadedBlas single_threaded_blas;
#pragma omp parallel
    {
#pragma omp single
      team = omp_get_num_threads();
      T* partial = scratch<T>(Scratch::partial, w_size);
      std::fill(partial, partial + w_size, T(0));
      partials[omp_get_thread_num()] = partial;
      add_work(partial);
    }
  }
#pragma omp parallel for schedule(static) if (w_size * team > kParallelWork)
  for (std::int64_t i = 0; i < w_size; ++i) {
    T sum = partials[0][i];
    for (int t = 1; t < team; ++t) sum += partials[t][i];
    dw[i] = sum;
  }
}

}  // namespace hs::ops::detail
