#pragma once
// The Selective-Kernel family (SKNet, Li et al., CVPR 2019): the bottleneck whose 3x3
// convolution is a SelectiveKernel (nn/sk_block.h), and the networks made of it. Parameter
// names follow timm's sknet.py (conv1, bn1, conv2.paths.m, conv2.attn, conv3, bn3).
#include <cstdint>
#include <memory>

#include "models/resnet.h"
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

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn3_;
  std::shared_ptr<nn::SelectiveKernel> conv2_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// skresnext50_32x4d: the paper's SKNet-50 — ResNeXt-50 (32 groups, width planes·2) with SK
// convolutions of two branches, attention channels make_divisible(width/16, 32).
std::shared_ptr<ResNet> skresnext50_32x4d(const ModelOptions& o);
// skresnet{29,56,...}_cifar: hs_resnet_cifar's layout (depth 9n+2, planes 16, 32, 64) with SK
// bottlenecks of width o.s·o.w0·2^stage — hs_resnet29's width for the same s and w0 — and
// attention channels make_divisible(width/16, 8).
std::shared_ptr<ResNet> skresnet_cifar(int depth, const ModelOptions& o);

}  // namespace hs::models
