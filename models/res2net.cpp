#include "models/res2net.h"

#include "models/block_parts.h"
#include "models/blocks.h"

namespace hs::models {

namespace {

nn::Res2NetBlockOptions hierarchy_options(const Res2NetBottleneckOptions& o) {
  nn::Res2NetBlockOptions h;
  h.scale = o.scale;
  h.width = o.width;
  h.cardinality = o.cardinality;
  h.stride = o.stride;
  h.stage = o.stride != 1 || o.in != o.planes * 4;
  return h;
}

}  // namespace

Res2NetBottleneck::Res2NetBottleneck(const Res2NetBottleneckOptions& o)
    : hierarchy_(hierarchy_options(o)) {
  const std::int64_t inner = o.scale * o.width;
  conv1_ = register_module("conv1", conv(o.in, inner, 1, 1));
  bn1_ = register_module("bn1", bn(inner, true));
  register_module("convs", hierarchy_.convs);
  register_module("bns", hierarchy_.bns);
  if (hierarchy_.pool) register_module("pool", hierarchy_.pool);
  conv3_ = register_module("conv3", conv(inner, o.planes * 4, 1, 1));
  bn3_ = register_module("bn3", bn(o.planes * 4, false));
  downsample_ = make_downsample(o.in, o.planes * 4, o.stride);
  if (downsample_) register_module("downsample", downsample_);
}

Variable Res2NetBottleneck::forward(const Variable& x) {
  return finish(*bn3_, (*conv3_)(hierarchy_.forward((*bn1_)((*conv1_)(x)))), x, downsample_);
}

void Res2NetBottleneck::fold_own_batch_norms() {
  bn1_->fold_into(*conv1_);
  fold_each_into(*hierarchy_.bns, *hierarchy_.convs);
  bn3_->fold_into(*conv3_);
}

std::int64_t res2net_width(std::int64_t planes, std::int64_t base_width, std::int64_t cardinality) {
  return planes * base_width / 64 * cardinality;
}

}  // namespace hs::models
