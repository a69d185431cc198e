#include "models/sknet.h"

#include "models/block_parts.h"
#include "models/blocks.h"

namespace hs::models {

SKBottleneck::SKBottleneck(const SKBottleneckOptions& o) {
  conv1_ = register_module("conv1", conv(o.in, o.width, 1, 1));
  bn1_ = register_module("bn1", bn(o.width, true));
  nn::SelectiveKernelOptions sk;
  sk.in_channels = sk.out_channels = o.width;
  sk.branches = o.branches;
  sk.cardinality = o.cardinality;
  sk.stride = o.stride;
  sk.attention = o.attention;
  conv2_ = register_module("conv2", std::make_shared<nn::SelectiveKernel>(sk));
  conv3_ = register_module("conv3", conv(o.width, o.planes * 4, 1, 1));
  bn3_ = register_module("bn3", bn(o.planes * 4, false));
  downsample_ = make_downsample(o.in, o.planes * 4, o.stride);
  if (downsample_) register_module("downsample", downsample_);
}

Variable SKBottleneck::forward(const Variable& x) {
  return finish(*bn3_, (*conv3_)((*conv2_)((*bn1_)((*conv1_)(x)))), x, downsample_);
}

// The selective kernel folds its branches' pairs as a child.
void SKBottleneck::fold_own_batch_norms() {
  bn1_->fold_into(*conv1_);
  bn3_->fold_into(*conv3_);
}

}  // namespace hs::models
