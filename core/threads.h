#pragma once
// One knob for parallelism: the OpenMP team size and OpenBLAS's thread count move together.
namespace hs {

// n <= 0 means all cores.
void set_num_threads(int n);
int num_threads();

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
