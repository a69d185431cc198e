// Matmul benchmark: GFLOP/s of ops::matmul on an N x N x N f32 product next to a direct
// cblas_sgemm call on the same operands, measured in the same run. The two alternate for
// R rounds and each reports its median, so the ratio shows what the operator adds on top
// of BLAS (argument checks, dispatch, allocating the output).
//
//   bench_matmul [--threads N] [--size N] [--rounds R]
#include "ops/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "ops/backends.h"

namespace {

// The value after `flag` as a positive integer, `fallback` when the flag is absent; exits
// with a message on a value that is not one.
int parse_positive(int argc, char** argv, const char* flag, int fallback) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], flag) != 0) continue;
    char* end = nullptr;
    const long value = i + 1 < argc ? std::strtol(argv[i + 1], &end, 10) : 0;
    if (i + 1 >= argc || *end != '\0' || value <= 0) {
      std::fprintf(stderr, "bench_matmul: %s needs a positive integer\n", flag);
      std::exit(2);
    }
    return static_cast<int>(value);
  }
  return fallback;
}

template <class F>
double seconds(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  hs::register_backends();
  hs::choose_openmp_wait(argv);
  const int threads = parse_positive(argc, argv, "--threads", hs::num_threads());
  const int n = parse_positive(argc, argv, "--size", 1024);
  const int rounds = parse_positive(argc, argv, "--rounds", 7);
  hs::set_num_threads(threads);

  hs::Generator gen(0);
  const hs::Tensor a = hs::randn({n, n}, gen);
  const hs::Tensor b = hs::randn({n, n}, gen);
  std::vector<float> c(static_cast<std::size_t>(n) * n);
  const auto run_ops = [&] { (void)hs::ops::matmul(a, b); };
  const auto run_blas = [&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a.data<float>(), n,
                b.data<float>(), n, 0.0f, c.data(), n);
  };
  run_ops();  // warm-up: thread pools, page faults
  run_blas();
  std::vector<double> ops_times, blas_times;
  for (int r = 0; r < rounds; ++r) {
    ops_times.push_back(seconds(run_ops));
    blas_times.push_back(seconds(run_blas));
  }
  const double flops = 2.0 * n * n * n;
  const double ops_gflops = flops / median(ops_times) / 1e9;
  const double blas_gflops = flops / median(blas_times) / 1e9;
  std::printf(
      "matmul %dx%dx%d f32 threads=%d: hsnet %.1f GFLOP/s, cblas_sgemm %.1f GFLOP/s, "
      "ratio %.2f\n",
      n, n, n, threads, ops_gflops, blas_gflops, ops_gflops / blas_gflops);
  return 0;
}
