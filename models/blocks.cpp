#include "models/blocks.h"

#include "autograd/functions.h"
#include "models/block_parts.h"

namespace hs::models {

std::shared_ptr<nn::Sequential> make_downsample(std::int64_t in, std::int64_t out,
                                                std::int64_t stride) {
  if (in == out && stride == 1) return nullptr;
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(conv(in, out, 1, stride));
  seq->push_back(bn(out, false));
  return seq;
}

BasicBlock::BasicBlock(std::int64_t in, std::int64_t planes, std::int64_t stride) {
  conv1_ = register_module("conv1", conv(in, planes, 3, stride));
  bn1_ = register_module("bn1", bn(planes, true));
  conv2_ = register_module("conv2", conv(planes, planes, 3, 1));
  bn2_ = register_module("bn2", bn(planes, false));
  downsample_ = make_downsample(in, planes, stride);
  if (downsample_) register_module("downsample", downsample_);
}

Variable BasicBlock::forward(const Variable& x) {
  return finish(*bn2_, (*conv2_)((*bn1_)((*conv1_)(x))), x, downsample_);
}

void BasicBlock::fold_own_batch_norms() {
  bn1_->fold_into(*conv1_);
  bn2_->fold_into(*conv2_);
}

Bottleneck::Bottleneck(std::int64_t in, std::int64_t planes, std::int64_t stride,
                       std::int64_t width) {
  conv1_ = register_module("conv1", conv(in, width, 1, 1));
  bn1_ = register_module("bn1", bn(width, true));
  conv2_ = register_module("conv2", conv(width, width, 3, stride));
  bn2_ = register_module("bn2", bn(width, true));
  conv3_ = register_module("conv3", conv(width, planes * 4, 1, 1));
  bn3_ = register_module("bn3", bn(planes * 4, false));
  downsample_ = make_downsample(in, planes * 4, stride);
  if (downsample_) register_module("downsample", downsample_);
}

Variable Bottleneck::forward(const Variable& x) {
  return finish(*bn3_, (*conv3_)((*bn2_)((*conv2_)((*bn1_)((*conv1_)(x))))), x, downsample_);
}

void Bottleneck::fold_own_batch_norms() {
  bn1_->fold_into(*conv1_);
  bn2_->fold_into(*conv2_);
  bn3_->fold_into(*conv3_);
}

HSBottleneck::HSBottleneck(const HSBottleneckOptions& o) {
  nn::HSBlockOptions hs = o.hs;
  hs.stride = o.stride;
  std::int64_t width = 0;
  if (hs.widths.empty()) {
    width = hs.splits * hs.width;
  } else {
    for (std::int64_t w : hs.widths) width += w;
  }
  conv1_ = register_module("conv1", conv(o.in, width, 1, 1));
  bn1_ = register_module("bn1", bn(width, true));
  if (o.stride != 1 && o.plain_downsample) {
    auto plain = std::make_shared<nn::Sequential>();
    plain->push_back(conv(width, width, 3, o.stride));
    plain->push_back(bn(width, true));
    middle_ = register_module("conv2", plain);
  } else {
    middle_ = register_module("hs", std::make_shared<nn::HSBlock>(hs));
  }
  conv3_ = register_module("conv3", conv(width, o.planes * 4, 1, 1));
  bn3_ = register_module("bn3", bn(o.planes * 4, false));
  downsample_ = make_downsample(o.in, o.planes * 4, o.stride);
  if (downsample_) register_module("downsample", downsample_);
}

Variable HSBottleneck::forward(const Variable& x) {
  return finish(*bn3_, (*conv3_)((*middle_)((*bn1_)((*conv1_)(x)))), x, downsample_);
}

// The HS block or the plain strided conv -> BN folds its own pairs as a child.
void HSBottleneck::fold_own_batch_norms() {
  bn1_->fold_into(*conv1_);
  bn3_->fold_into(*conv3_);
}

}  // namespace hs::models
