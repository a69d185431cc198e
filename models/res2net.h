#pragma once
// The Res2Net family (Gao et al., arXiv 1904.01169): the bottleneck whose middle is a
// Res2NetBlock (nn/res2net_block.h), and the networks made of it. Parameter names follow
// timm's res2net.py (conv1, bn1, convs.i, bns.i, pool, conv3, bn3, downsample).
#include <cstdint>
#include <memory>

#include "models/resnet.h"
#include "nn/res2net_block.h"

namespace hs::models {

// conv1x1 (in -> scale·width) -> BN -> ReLU -> Res2Net hierarchy -> conv1x1 (scale·width ->
// 4·planes) -> BN, + shortcut (conv1x1 stride -> BN when the shape changes), ReLU. The block
// with a projection shortcut is the stage type (nn/res2net_block.h).
struct Res2NetBottleneckOptions {
  std::int64_t in = 0, planes = 0, stride = 1;
  std::int64_t scale = 4, width = 26, cardinality = 1;  // width: channels per split
};

class Res2NetBottleneck : public nn::Module {
 public:
  explicit Res2NetBottleneck(const Res2NetBottleneckOptions& opts);
  std::string type_name() const override { return "Res2NetBottleneck"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override { return hierarchy_.describe(); }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn3_;
  nn::Res2NetHierarchy hierarchy_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// The split width of a stage with `planes` planes, as the released code computes it:
// ⌊planes·base_width/64⌋·cardinality.
std::int64_t res2net_width(std::int64_t planes, std::int64_t base_width, std::int64_t cardinality);

// res2net{50,101}_{W}w_{S}s and res2next50: the ImageNet ResNet layout (7x7 stem, max-pool,
// stages of 64..512 planes) with Res2Net bottlenecks.
std::shared_ptr<ResNet> res2net_imagenet(int depth, std::int64_t base_width, std::int64_t scale,
                                         std::int64_t cardinality, const ModelOptions& o);
// res2net{29,56,...}_cifar: hs_resnet_cifar's layout (depth 9n+2, planes 16, 32, 64, split
// width w0·2^stage, o.s splits) with the Res2Net bottleneck, to compare the blocks at equal width.
std::shared_ptr<ResNet> res2net_cifar(int depth, const ModelOptions& o);
// res2next29_{C}c{W}w{S}s: the ResNeXt-29 CIFAR layout (3x3 stem of 64, three stages of three
// blocks, planes 64, 128, 256, outputs 256, 512, 1024) with Res2NeXt bottlenecks.
std::shared_ptr<ResNet> res2next29_cifar(std::int64_t cardinality, std::int64_t base_width,
                                         std::int64_t scale, const ModelOptions& o);

}  // namespace hs::models
