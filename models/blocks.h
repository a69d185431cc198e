#pragma once
// The residual blocks of the model families. Each maps [N, in, H, W] to
// [N, out, H/stride, W/stride] and adds a shortcut: the input itself, or a strided
// conv1x1 -> BN projection ("downsample") when the shape changes.
#include <memory>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/hs_block.h"
#include "nn/sequential.h"

namespace hs::models {

// conv1x1 (stride) -> BN, or nullptr when in == out and stride == 1.
std::shared_ptr<nn::Sequential> make_downsample(std::int64_t in, std::int64_t out,
                                                std::int64_t stride);

// ResNet basic block (CIFAR ResNets): conv3x3(stride) -> BN -> ReLU -> conv3x3 -> BN,
// + shortcut, ReLU.
class BasicBlock : public nn::Module {
 public:
  BasicBlock(std::int64_t in, std::int64_t planes, std::int64_t stride);
  std::string type_name() const override { return "BasicBlock"; }
  Variable forward(const Variable& x) override;

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// torchvision's ResNet v1.5 bottleneck: conv1x1 -> BN -> ReLU -> conv3x3(stride) -> BN ->
// ReLU -> conv1x1 (x4) -> BN, + shortcut, ReLU.
class Bottleneck : public nn::Module {
 public:
  Bottleneck(std::int64_t in, std::int64_t planes, std::int64_t stride, std::int64_t width);
  std::string type_name() const override { return "Bottleneck"; }
  Variable forward(const Variable& x) override;

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn2_, bn3_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// HS bottleneck: conv1x1 (in -> s·w) -> BN -> ReLU -> HSBlock(s, w, stride) -> conv1x1
// (s·w -> 4·planes) -> BN, + shortcut, ReLU. With plain_downsample, a strided block uses a
// full-width conv3x3(stride) -> BN -> ReLU in place of the HSBlock.
struct HSBottleneckOptions {
  std::int64_t in = 0, planes = 0, stride = 1;
  nn::HSBlockOptions hs;  // splits, width, carry ratio and side; its stride is set from `stride`
  bool plain_downsample = false;
};

class HSBottleneck : public nn::Module {
 public:
  explicit HSBottleneck(const HSBottleneckOptions& opts);
  std::string type_name() const override { return "HSBottleneck"; }
  Variable forward(const Variable& x) override;

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn3_;
  std::shared_ptr<nn::Module> middle_;  // HSBlock, or the plain strided conv -> BN -> ReLU
  std::shared_ptr<nn::Sequential> downsample_;
};

}  // namespace hs::models
