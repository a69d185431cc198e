#pragma once
// The process group of one rank per GPU over NCCL (CUDA builds where the toolkit ships
// NCCL): collectives on CUDA tensors, issued on hsnet's CUDA stream, so they run in order
// with the kernels around them and the data never leaves the device. The group first makes
// GPU (local rank mod GPU count) this process's device; `bootstrap` (the MPI group, which
// it keeps) hands rank 0's NCCL id to the others and runs barrier and abort. Without NCCL, an
// hs::Error.
#include <memory>

#include "dist/process_group.h"

namespace hs::dist {

bool have_nccl();
std::unique_ptr<ProcessGroup> nccl_group(std::unique_ptr<ProcessGroup> bootstrap);

}  // namespace hs::dist
