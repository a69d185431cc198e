#pragma once
// Per-thread scratch memory for the CPU loops of ops/ (column matrices and the few other
// temporaries of the convolution).
//
// Buffers are owned by the thread that uses them: the calling thread and each OpenMP worker
// keep one buffer per Scratch slot. A buffer grows to the largest size ever requested on its
// thread and is then reused, so after the first step of a training loop the convolutions
// allocate nothing but their outputs. The memory is freed when the thread exits. A pointer
// from scratch() stays valid until the same thread asks for the same slot again.
#include <cstddef>
#include <cstdint>

namespace hs::ops::detail {

enum class Scratch { columns, gathered, partial };

// At least `bytes` bytes, 64-byte aligned, of this thread's buffer for `slot`.
void* scratch_bytes(Scratch slot, std::size_t bytes);

template <class T>
T* scratch(Scratch slot, std::int64_t count) {
  return static_cast<T*>(scratch_bytes(slot, static_cast<std::size_t>(count) * sizeof(T)));
}

}  // namespace hs::ops::detail
