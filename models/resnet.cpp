#include "models/resnet.h"

#include "autograd/functions.h"

namespace hs::models {

ResNet::ResNet(const StemOptions& stem, std::vector<std::shared_ptr<nn::Sequential>> stages,
               std::int64_t features, std::int64_t classes)
    : stages_(std::move(stages)) {
  HS_CHECK(stem.in_channels > 0, "model: in_channels must be positive, got ", stem.in_channels);
  HS_CHECK(classes > 0, "model: classes must be positive, got ", classes);
  nn::Conv2dOptions c;
  c.in_channels = stem.in_channels;
  c.out_channels = stem.out_channels;
  c.kernel_size = stem.kernel_size;
  c.stride = stem.stride;
  c.padding = stem.kernel_size / 2;
  conv1_ = register_module("conv1", std::make_shared<nn::Conv2d>(c));
  bn1_ = register_module("bn1", std::make_shared<nn::BatchNorm2d>(stem.out_channels, 0.1, 1e-5,
                                                                  /*fuse_relu=*/true));
  if (stem.max_pool)
    maxpool_ = register_module("maxpool", std::make_shared<nn::MaxPool2d>(3, 2, 1));
  for (std::size_t i = 0; i < stages_.size(); ++i)
    register_module("layer" + std::to_string(i + 1), stages_[i]);
  avgpool_ = register_module("avgpool", std::make_shared<nn::AdaptiveAvgPool2d>(1));
  flatten_ = register_module("flatten", std::make_shared<nn::Flatten>());
  fc_ = register_module("fc", std::make_shared<nn::Linear>(features, classes));
}

Variable ResNet::forward(const Variable& x) {
  HS_CHECK(x.dim() == 4, "model: input must be [N,C,H,W], got ", x.shape());
  Variable y = (*bn1_)((*conv1_)(x));
  if (maxpool_) y = (*maxpool_)(y);
  for (auto& stage : stages_) y = (*stage)(y);
  return (*fc_)((*flatten_)((*avgpool_)(y)));
}

void ResNet::fold_own_batch_norms() { bn1_->fold_into(*conv1_); }

}  // namespace hs::models
