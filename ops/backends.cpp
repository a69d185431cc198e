#include "ops/backends.h"

#include "cuda/backend.h"
#include "ops/dispatch.h"

namespace hs {

void register_backends() {
  if constexpr (ops::kBuiltWithCuda) {
    static const bool installed = (cuda::install_backend(), true);
    (void)installed;
  }
}

}  // namespace hs
