#pragma once
// Reducer: averages parameter gradients over the ranks of a group while backward runs, as
// PyTorch's DistributedDataParallel does. The parameters are packed, in reverse order (the
// order backward mostly finishes them), into buckets of about `bucket_bytes` each; a
// bucket's all-reduce starts as soon as every gradient in it is final (a post-accumulate
// hook on each parameter), so communication overlaps the rest of backward. Buckets start
// in one fixed order on every rank, as collectives require.
#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/accumulate_grad.h"
#include "autograd/variable.h"
#include "dist/process_group.h"

namespace hs::dist {

class Reducer {
 public:
  // `params`: leaves that require grad, the same list in the same order on every rank.
  Reducer(std::vector<Variable> params, ProcessGroup& group, std::int64_t bucket_bytes);
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  // Call after each backward: completes every bucket and leaves in each parameter's .grad
  // the mean of the ranks' gradients. A parameter the backward did not reach counts as a
  // zero gradient (so every rank still sends every bucket) and gets the mean too.
  void finish();

  std::int64_t bucket_count() const { return static_cast<std::int64_t>(buckets_.size()); }
  // Seconds finish() spent waiting for communication that backward did not hide, summed
  // over the calls since the last reset.
  double exposed_seconds() const { return exposed_seconds_; }
  void reset_exposed_seconds() { exposed_seconds_ = 0; }

 private:
  struct Bucket {
    std::vector<std::size_t> params;    // indices into params_
    std::vector<std::int64_t> offsets;  // of each parameter's gradient in `flat`
    Tensor flat;
    std::int64_t pending = 0;  // gradients not yet copied in this step
    std::unique_ptr<Work> work;
  };
  void on_gradient_ready(std::size_t param);
  void launch_ready_buckets();

  std::vector<Variable> params_;
  std::vector<std::shared_ptr<AccumulateGrad>> accumulators_;  // kept: they hold the hooks
  ProcessGroup& group_;
  std::vector<Bucket> buckets_;
  std::vector<std::size_t> bucket_of_;  // per parameter
  std::vector<bool> copied_;            // per parameter, this step
  std::size_t next_to_launch_ = 0;
  double exposed_seconds_ = 0;
};

}  // namespace hs::dist
