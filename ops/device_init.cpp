// Installs the CUDA backend at load time in builds with CUDA. This object is linked whole
// into every program, so the backend is there before the first tensor is made.
#if HSNET_WITH_CUDA
#include "cuda/backend.h"

namespace {
const bool cuda_backend_installed = (hs::cuda::install_backend(), true);
}
#endif
