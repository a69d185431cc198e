#pragma once
// What `--distributed` adds to `hsnet train` and `hsnet eval` (data-parallel over the ranks
// mpirun started): the process group, rank 0's model state on every rank, the per-step
// figures the ranks agree on, and ending every rank when one fails.
#include <cstdint>
#include <functional>
#include <memory>

#include "core/device.h"
#include "dist/process_group.h"
#include "nn/module.h"

namespace hs::tools {

// The group of one process unless `distributed`; then MPI's for the CPU, NCCL's (one rank
// per GPU, MPI to start it) for `device` cuda. An hs::Error when the build lacks either.
std::unique_ptr<dist::ProcessGroup> make_group(bool distributed, Device device);

// Replaces every rank's parameters and buffers by rank 0's, so all ranks start equal
// whatever their initialisation drew.
void broadcast_module_state(nn::Module& module, dist::ProcessGroup& group);

// One training step's figures summed over the ranks, and whether any rank saw a non-finite
// loss or was asked to stop: every rank then takes the same branch.
struct StepTotals {
  double loss_sum = 0;  // sum of per-image losses
  std::int64_t correct = 0, seen = 0;
  bool nonfinite = false, stop = false;
};
StepTotals agree_on_step(dist::ProcessGroup& group, double loss, std::int64_t correct,
                         std::int64_t seen, bool stop);

// Runs a command's `body` on this rank. An exception on a rank of a job of several is
// printed with the rank's number and ends every rank (MPI_Abort, exit status 1), where it
// would otherwise leave the others waiting in a collective; alone, it propagates.
int run_on_ranks(dist::ProcessGroup& group, const std::function<int()>& body);

// The test-only failure: when HSNET_TEST_FAIL_AT is "RANK:STEP", rank RANK throws once it
// reaches global step STEP (counted from 0).
void fail_here_for_tests(int rank, std::int64_t global_step);

}  // namespace hs::tools
