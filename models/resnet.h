#pragma once
// ResNet: the network shared by every model family here — a stem (conv1 -> bn1 -> ReLU
// [-> maxpool]), stages layer1..layerK of residual blocks, global average pooling, flatten and
// a linear classifier fc. Parameter names match torchvision's. models/skeleton.h fills it.
#include <cstdint>
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

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_;
  std::shared_ptr<nn::BatchNorm2d> bn1_;
  std::shared_ptr<nn::MaxPool2d> maxpool_;
  std::vector<std::shared_ptr<nn::Sequential>> stages_;
  std::shared_ptr<nn::AdaptiveAvgPool2d> avgpool_;
  std::shared_ptr<nn::Flatten> flatten_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace hs::models
