#pragma once
// BatchNorm2d: per-channel batch normalisation with affine weight (γ=1) and bias (β=0),
// and the buffers running_mean, running_var and num_batches_tracked, as in PyTorch.
// Training mode uses batch statistics and updates the running ones; eval mode uses them.
// With fuse_relu the ReLU that follows is applied in the same pass (BatchNormReLU).
#include "nn/module.h"

namespace hs::dist {
class ProcessGroup;
}

namespace hs::nn {

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double momentum = 0.1, double eps = 1e-5,
                       bool fuse_relu = false);
  std::string type_name() const override { return "BatchNorm2d"; }
  Variable forward(const Variable& x) override;
  // relu(forward(x) + residual) in one pass, for the end of a residual block (a layer
  // built without fuse_relu). Recorded by summaries like a call of the module.
  Variable forward_add_relu(const Variable& x, const Variable& residual);
  std::string extra_repr() const override;

  Variable weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;
  // Set by convert_sync_batch_norm (nn/sync_batch_norm.h): training-mode statistics are then
  // those of all ranks of this group.
  dist::ProcessGroup* sync_group = nullptr;

 private:
  std::int64_t num_features_;
  double momentum_, eps_;
  bool fuse_relu_;

  void count_batch();  // num_batches_tracked += 1 in training mode
};

}  // namespace hs::nn
