#pragma once
// ResNet: the network skeleton shared by every model family here — a stem
// (conv1 -> bn1 -> ReLU [-> maxpool]), stages layer1..layerK of residual blocks, global
// average pooling, flatten and a linear classifier fc. Parameter names match torchvision's.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/layers.h"
#include "nn/linear.h"
#include "nn/sequential.h"

namespace hs::models {

struct StemOptions {
  std::int64_t in_channels = 3, out_channels = 16, kernel_size = 3, stride = 1;
  bool max_pool = false;  // 3x3/2 pad 1 max-pool after the stem (ImageNet)
};

class ResNet : public nn::Module {
 public:
  // `stages[k]` holds stage k's blocks; `features` is the channel count they end with.
  ResNet(const StemOptions& stem, std::vector<std::shared_ptr<nn::Sequential>> stages,
         std::int64_t features, std::int64_t classes);
  std::string type_name() const override { return "ResNet"; }
  Variable forward(const Variable& x) override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::vector<std::shared_ptr<nn::Sequential>> stages_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Flatten> flatten_;
  std::shared_ptr<nn::Linear> fc_;
};

// Options of the CIFAR-style families (and the HS ones' split settings).
struct ModelOptions {
  std::int64_t classes = 10;
  std::int64_t in_channels = 3;
  std::int64_t s = 4;   // HS: split number (CIFAR default 4, ImageNet default 8)
  std::int64_t w0 = 8;  // HS CIFAR: group width of stage 1 (doubles per stage)
  double ratio = 0.5;   // HS: carry ratio r
  bool carry_leading = false;
  bool plain_downsample = false;  // HS ImageNet: strided blocks use a plain conv3x3
  std::int64_t base_width = 64;   // ImageNet bottleneck width per 64 planes
  // HS: explicit per-group proportions (e.g. {1,1,2,4}); empty: s even groups. Its length is
  // the split number, and each stage's width is divided by nn::split_widths.
  std::vector<double> split;
};

// hs_resnet{29,56,110,164}_cifar: depth 9n+2, stages of n HS bottlenecks (planes 16, 32,
// 64), w = w0·2^stage; the stage's HS width is s·w (with `split`, divided in its proportions).
std::shared_ptr<ResNet> hs_resnet_cifar(int depth, const ModelOptions& opts);
// hs_resnet{50,101,152}: ImageNet layout with HS bottlenecks, width = planes·base_width/64,
// w = width / s (with `split`, the width is divided in its proportions instead).
std::shared_ptr<ResNet> hs_resnet_imagenet(int depth, const ModelOptions& opts);
// resnet{20,32,44,56,110}_cifar: depth 6n+2, basic blocks (16, 32, 64), projection shortcuts.
std::shared_ptr<ResNet> resnet_cifar(int depth, const ModelOptions& opts);
// resnet50: torchvision's v1.5 layout.
std::shared_ptr<ResNet> resnet50(const ModelOptions& opts);

}  // namespace hs::models
