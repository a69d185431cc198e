#pragma once
// register_backends(): installs every device backend this build has (the CPU one is built
// into core/; the CUDA one in builds with CUDA) with core/backend.h. Each program calls it
// once at the top of main(), before it makes a tensor; later calls do nothing.

namespace hs {

void register_backends();

}  // namespace hs
