#pragma once
// The Selective-Kernel family (SKNet, Li et al., CVPR 2019): the bottleneck whose 3x3
// convolution is a SelectiveKernel (nn/sk_block.h); models/skeleton.h builds the networks of it.
// Parameter names follow timm's sknet.py (conv1, bn1, conv2.paths.m, conv2.attn, conv3, bn3).
#include <cstdint>
#include <memory>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/sequential.h"
#include "nn/sk_block.h"

namespace hs::models {

// conv1x1 (in -> width) -> BN -> ReLU -> SelectiveKernel (width, stride) -> conv1x1
// (width -> 4·planes) -> BN, + shortcut (conv1x1 stride -> BN when the shape changes), ReLU.
struct SKBottleneckOptions {
  std::int64_t in = 0, planes = 0, stride = 1, width = 64;
  std::int64_t cardinality = 1, attention = 32, branches = 2;
};

class SKBottleneck : public nn::Module {
 public:
  explicit SKBottleneck(const SKBottleneckOptions& opts);
  std::string type_name() const override { return "SKBottleneck"; }
  Variable forward(const Variable& x) override;

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn3_;
  std::shared_ptr<nn::SelectiveKernel> conv2_;
  std::shared_ptr<nn::Sequential> downsample_;
};

}  // namespace hs::models
