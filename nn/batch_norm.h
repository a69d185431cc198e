#pragma once
// BatchNorm2d: per-channel batch normalisation with affine weight (γ=1) and bias (β=0),
// and the buffers running_mean, running_var and num_batches_tracked, as in PyTorch.
// Training mode uses batch statistics and updates the running ones; eval mode uses them.
// With fuse_relu the ReLU that follows is applied in the same pass (BatchNormReLU).
// For inference it can be folded into the convolution before it (Module::fold_batch_norms).
#include "nn/conv2d.h"
#include "nn/module.h"
#include "nn/sequential.h"

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

  // Folds this eval-mode layer's per-channel map y = a·x + b into `conv`, whose output it
  // normalises (Conv2d::scale_output), and becomes the identity with its epilogue: forward
  // gives x (with fuse_relu the ReLU moves into conv, Conv2d::apply_output_relu, which runs it
  // as the convolution stores its output), forward_add_relu relu(x + residual); weight, bias and
  // the running statistics become 1, 0, 0, 1 and eps 0, so the eval pass is exact. Either
  // forward with gradients is then an hs::Error. Requires eval mode, conv's out_channels ==
  // num_features, and a layer not folded before.
  void fold_into(Conv2d& conv);
  bool folded_into_conv() const { return folded_into_conv_; }

  Variable weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;
  // Set by convert_sync_batch_norm (nn/sync_batch_norm.h): training-mode statistics are then
  // those of all ranks of this group.
  dist::ProcessGroup* sync_group = nullptr;

 private:
  std::int64_t num_features_;
  double momentum_, eps_;
  bool fuse_relu_;
  bool folded_into_conv_ = false;

  void count_batch();  // num_batches_tracked += 1 in training mode
  void check_no_gradient(const Variable& x) const;
};

// Folds bns[i] into convs[i] for every i: the parallel lists of HS and Res2Net blocks, where
// group i's convolution feeds group i's batch norm. Requires lists of equal length.
void fold_each_into(const Sequential& bns, const Sequential& convs);

}  // namespace hs::nn
