#pragma once
// Synchronised batch norm (PyTorch's SyncBatchNorm): in training, the batch statistics are
// those of the union of all ranks' batches (per-channel sums and counts, then sums of
// squared deviations from the common mean, all-reduced in forward; their gradients
// all-reduced in backward), so K ranks with batch B/K normalise as one process with batch
// B. Eval mode uses the running statistics, which then agree on every rank.
#include "dist/process_group.h"
#include "nn/module.h"

namespace hs::nn {

// Batch norm of x [N,C,H,W] in training mode with the statistics of all ranks; updates
// running_mean and running_var (unbiased variance) like BatchNorm2d.
Variable sync_batch_norm(const Variable& x, const Variable& gamma, const Variable& beta,
                         Tensor& running_mean, Tensor& running_var, double momentum, double eps,
                         dist::ProcessGroup& group);

// Makes every BatchNorm2d inside `module` synchronise over `group` (which must outlive it).
// Returns how many layers it changed.
std::int64_t convert_sync_batch_norm(Module& module, dist::ProcessGroup& group);

}  // namespace hs::nn
