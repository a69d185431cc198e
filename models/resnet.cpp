#include "models/resnet.h"

#include "autograd/functions.h"
#include "models/blocks.h"
#include "models/stage.h"

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

namespace {

void check_hs_options(const ModelOptions& o) {
  HS_CHECK(o.s >= 2, "model: s (split number) must be >= 2, got ", o.s);
  HS_CHECK(o.split.empty() || static_cast<std::int64_t>(o.split.size()) == o.s, "model: split has ",
           o.split.size(), " proportions but s is ", o.s,
           " (give s equal to the number of groups, or leave it out)");
  HS_CHECK(o.ratio >= 0.0 && o.ratio < 1.0, "model: ratio (carry ratio) must be in [0, 1), got ",
           o.ratio);
}

HSBottleneckOptions hs_block_options(const ModelOptions& o, std::int64_t in, std::int64_t planes,
                                     std::int64_t stride, std::int64_t w, std::int64_t channels) {
  HSBottleneckOptions b;
  if (!o.split.empty()) b.hs.widths = nn::split_widths(o.split, channels);
  b.in = in;
  b.planes = planes;
  b.stride = stride;
  b.hs.splits = o.s;
  b.hs.width = w;
  b.hs.carry_ratio = o.ratio;
  b.hs.carry_leading = o.carry_leading;
  b.plain_downsample = o.plain_downsample;
  return b;
}

}  // namespace

std::shared_ptr<ResNet> hs_resnet_cifar(int depth, const ModelOptions& o) {
  HS_CHECK(depth >= 11 && (depth - 2) % 9 == 0,
           "hs_resnet_cifar: depth must be 9n+2 (29, 56, 110, 164), got ", depth);
  check_hs_options(o);
  HS_CHECK(o.w0 >= 1, "hs_resnet_cifar: w0 must be >= 1, got ", o.w0);
  const int n = (depth - 2) / 9;
  std::int64_t in = 16;
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  const std::int64_t planes[] = {16, 32, 64};
  for (int k = 0; k < 3; ++k) {
    const std::int64_t w = o.w0 << k;
    stages.push_back(stage(n, in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
      auto block =
          std::make_shared<HSBottleneck>(hs_block_options(o, cin, planes[k], stride, w, o.s * w));
      return std::pair{std::shared_ptr<nn::Module>(block), planes[k] * 4};
    }));
  }
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 16, 3, 1, false}, std::move(stages),
                                  in, o.classes);
}

std::shared_ptr<ResNet> hs_resnet_imagenet(int depth, const ModelOptions& o) {
  const std::vector<int> blocks = imagenet_blocks(depth, "hs_resnet");
  check_hs_options(o);
  std::int64_t in = 64;
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  for (int k = 0; k < 4; ++k) {
    const std::int64_t planes = 64 << k;
    const std::int64_t width = planes * o.base_width / 64;
    HS_CHECK(!o.split.empty() || width % o.s == 0, "hs_resnet", depth, ": stage width ", width,
             " is not divisible by s=", o.s, " (an uneven `split` divides any width)");
    stages.push_back(
        stage(blocks[k], in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
          auto block = std::make_shared<HSBottleneck>(
              hs_block_options(o, cin, planes, stride, width / o.s, width));
          return std::pair{std::shared_ptr<nn::Module>(block), planes * 4};
        }));
  }
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 7, 2, true}, std::move(stages), in,
                                  o.classes);
}

std::shared_ptr<ResNet> resnet_cifar(int depth, const ModelOptions& o) {
  HS_CHECK(depth >= 8 && (depth - 2) % 6 == 0,
           "resnet_cifar: depth must be 6n+2 (20, 32, 44, 56, 110), got ", depth);
  const int n = (depth - 2) / 6;
  std::int64_t in = 16;
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  const std::int64_t planes[] = {16, 32, 64};
  for (int k = 0; k < 3; ++k) {
    stages.push_back(stage(n, in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
      auto block = std::make_shared<BasicBlock>(cin, planes[k], stride);
      return std::pair{std::shared_ptr<nn::Module>(block), planes[k]};
    }));
  }
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 16, 3, 1, false}, std::move(stages),
                                  in, o.classes);
}

std::shared_ptr<ResNet> resnet50(const ModelOptions& o) {
  const std::vector<int> blocks = imagenet_blocks(50, "resnet");
  std::int64_t in = 64;
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  for (int k = 0; k < 4; ++k) {
    const std::int64_t planes = 64 << k;
    const std::int64_t width = planes * o.base_width / 64;
    stages.push_back(
        stage(blocks[k], in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
          auto block = std::make_shared<Bottleneck>(cin, planes, stride, width);
          return std::pair{std::shared_ptr<nn::Module>(block), planes * 4};
        }));
  }
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 7, 2, true}, std::move(stages), in,
                                  o.classes);
}

}  // namespace hs::models
