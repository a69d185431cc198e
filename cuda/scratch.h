#pragma once
// Scratch: a temporary device buffer (column matrices, per-channel coefficients, flags)
// from the caching allocator, given back when it goes out of scope. Giving it back while
// kernels that use it are still queued is safe: all hsnet work runs in order on one stream,
// so the next user of the block runs after them.
#include <cstddef>

#include "cuda/allocator.h"

namespace hs::cuda {

class Scratch {
 public:
  explicit Scratch(std::size_t nbytes) : data_(allocate(nbytes)) {}
  ~Scratch() { deallocate(data_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  void* data_;
};

}  // namespace hs::cuda
