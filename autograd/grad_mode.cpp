#include "autograd/grad_mode.h"

namespace hs {

namespace {
thread_local bool grad_mode_enabled = true;
}  // namespace

bool grad_enabled() { return grad_mode_enabled; }

void set_grad_enabled(bool enabled) { grad_mode_enabled = enabled; }

}  // namespace hs
