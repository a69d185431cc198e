#pragma once
// ProcessGroup: the ranks of one data-parallel job and the collectives they run together
// (what torch.distributed calls a process group). Every rank must call the same collectives
// in the same order with tensors of the same shape and dtype. Implementations: MPI (CPU
// tensors, dist/mpi_group.h) and NCCL (CUDA tensors, dist/nccl_group.h, CUDA builds only);
// a group of one process for runs that are not distributed.
#include <memory>
#include <string>

#include "core/tensor.h"

namespace hs::dist {

// A collective started by a *_async call; wait() returns once its result is in the tensor.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  // True once complete. Calling it also lets a library that progresses only inside its own
  // calls (MPI without a progress thread) move the transfer on while the caller computes.
  virtual bool test() = 0;
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  // Replaces the contiguous f32 or f64 tensor `t` by its sum over all ranks, on every rank.
  void allreduce_sum(Tensor& t) { allreduce_sum_async(t)->wait(); }
  // Starts that sum; `t` must stay alive and untouched until the Work's wait() returns.
  virtual std::unique_ptr<Work> allreduce_sum_async(Tensor& t) = 0;
  // Replaces the contiguous tensor `t` (any dtype) on every rank by rank `root`'s.
  virtual void broadcast(Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  // Ends every rank of the job with exit status `code` (a rank that failed alone would
  // otherwise leave the others waiting in a collective forever).
  [[noreturn]] virtual void abort(int code) = 0;
};

// The group of one process: collectives are identities. What a run that is not
// distributed uses, so the trainer has one code path.
std::unique_ptr<ProcessGroup> single_process_group();

// Checks what every collective requires of a tensor; `op` names the collective.
void check_collective_tensor(const Tensor& t, const char* op, bool floating_only);

}  // namespace hs::dist
