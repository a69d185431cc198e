#pragma once
// One knob for parallelism: the OpenMP team size and OpenBLAS's thread count move together.
namespace hs {

// n <= 0 means all cores.
void set_num_threads(int n);
int num_threads();

// How idle OpenMP threads wait between parallel loops. libgomp's default spins for a few
// milliseconds: on a quiet machine that is fastest, but on a busy one with few cores the
// spinning thread takes the core from the one that is working (an HS-ResNet-29 training
// step on 2 loaded cores ran 4x faster with passive waiting). So a program calls this first
// thing in main(): it looks at how many threads the machine is running right now and, when
// every core is free for ours, spins briefly (GOMP_SPINCOUNT = kQuietSpinCount, about a
// millisecond) before sleeping; otherwise it sleeps at once (OMP_WAIT_POLICY=passive).
// libgomp reads its settings only when it loads, so the choice is passed by re-executing
// the program with them in the environment. Nothing is done when the user set
// OMP_WAIT_POLICY or GOMP_SPINCOUNT; the function returns when nothing was done.
constexpr long kQuietSpinCount = 100000;
void choose_openmp_wait(char** argv);

// The OpenMP wait settings this process runs with, in words ("spin 100000, then sleep",
// "sleep (passive)", "libgomp default", or the user's values), for benchmark reports.
const char* openmp_wait_description();

// Tells OpenBLAS to run single-threaded inside an OpenMP loop (and restores after), so
// GEMMs called from parallel loops do not nest thread pools.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int saved_;
};

}  // namespace hs
