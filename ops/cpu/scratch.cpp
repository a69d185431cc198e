#include "ops/cpu/scratch.h"

#include <array>
#include <cstdlib>
#include <memory>
#include <new>

namespace hs::ops::detail {
namespace {

constexpr int kScratchSlots = 3;
constexpr std::size_t kScratchAlign = 64;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct ScratchBuffer {
  std::unique_ptr<void, FreeDeleter> data;
  std::size_t bytes = 0;
};

thread_local std::array<ScratchBuffer, kScratchSlots> t_scratch;

}  // namespace

void* scratch_bytes(Scratch slot, std::size_t bytes) {
  ScratchBuffer& buf = t_scratch[static_cast<int>(slot)];
  if (bytes > buf.bytes) {
    const std::size_t rounded = (bytes + kScratchAlign - 1) / kScratchAlign * kScratchAlign;
    buf.data.reset();
    buf.bytes = 0;
    void* p = std::aligned_alloc(kScratchAlign, rounded);
    if (p == nullptr) throw std::bad_alloc();
    buf.data.reset(p);
    buf.bytes = rounded;
  }
  return buf.data.get();
}

}  // namespace hs::ops::detail
