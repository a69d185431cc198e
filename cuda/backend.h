#pragma once
// The CUDA DeviceBackend (cuda/backend.cu): memory through the caching allocator, copies,
// and the strided copy and fill kernels the tensor core needs. Declared in every build,
// defined only in builds with CUDA.

namespace hs::cuda {

// Registers the CUDA DeviceBackend with the core (called once at load time).
void install_backend();

}  // namespace hs::cuda
