#pragma once
// One knob for parallelism: the OpenMP team size and OpenBLAS's thread count move together.
namespace hs {

// n <= 0 means all cores.
void set_num_threads(int n);
int num_threads();

// OpenMP threads that wait for work spin by default, and on a busy machine with few cores
// the spinning thread takes the core from the one that is working: measured on 2 loaded
// cores, an HS-ResNet-29 training step ran 4x faster with passive waiting. libgomp reads
// the policy only when it loads, so a program that wants it re-executes itself with
// OMP_WAIT_POLICY=passive (unless the user set the variable); returns when nothing was done.
void reexec_with_passive_openmp_wait(char** argv);

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
