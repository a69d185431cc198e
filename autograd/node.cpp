#include "autograd/node.h"

#include <atomic>

#include "core/error.h"

namespace hs {

std::uint64_t next_sequence_nr() {
  // Atomic so that graphs recorded on several threads still get distinct numbers.
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

void Node::check_not_released() const {
  HS_CHECK(!released_, "backward: ", name(),
           " cannot run again: its saved tensors were freed by a previous backward; pass "
           "retain_graph=true to the first backward to keep them");
}

}  // namespace hs
