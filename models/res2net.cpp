#include "models/res2net.h"

#include "models/block_parts.h"
#include "models/blocks.h"
#include "models/stage.h"

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

std::int64_t res2net_width(std::int64_t planes, std::int64_t base_width, std::int64_t cardinality) {
  return planes * base_width / 64 * cardinality;
}

namespace {

// Stages of Res2Net bottlenecks with planes first_planes·2^k, stride 1 then 2; width_of(k)
// gives stage k's split width.
template <class WidthOf>
std::vector<std::shared_ptr<nn::Sequential>> res2net_stages(
    const std::vector<int>& blocks, std::int64_t& in, std::int64_t first_planes, std::int64_t scale,
    std::int64_t cardinality, WidthOf&& width_of) {
  HS_CHECK(scale >= 2, "res2net: scale (split number s) must be >= 2, got ", scale);
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    Res2NetBottleneckOptions b;
    b.planes = first_planes << k;
    b.scale = scale;
    b.width = width_of(k);
    b.cardinality = cardinality;
    HS_CHECK(b.width >= 1, "res2net: stage ", k + 1, " has a split width of ", b.width,
             " (must be >= 1)");
    stages.push_back(
        stage(blocks[k], in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
          b.in = cin;
          b.stride = stride;
          return std::pair{std::shared_ptr<nn::Module>(std::make_shared<Res2NetBottleneck>(b)),
                           b.planes * 4};
        }));
  }
  return stages;
}

}  // namespace

std::shared_ptr<ResNet> res2net_imagenet(int depth, std::int64_t base_width, std::int64_t scale,
                                         std::int64_t cardinality, const ModelOptions& o) {
  std::int64_t in = 64;
  auto stages = res2net_stages(
      imagenet_blocks(depth, "res2net"), in, 64, scale, cardinality,
      [&](std::size_t k) { return res2net_width(64 << k, base_width, cardinality); });
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 7, 2, true}, std::move(stages), in,
                                  o.classes);
}

std::shared_ptr<ResNet> res2net_cifar(int depth, const ModelOptions& o) {
  HS_CHECK(depth >= 11 && (depth - 2) % 9 == 0,
           "res2net_cifar: depth must be 9n+2 (29, 56, 110, 164), got ", depth);
  HS_CHECK(o.w0 >= 1, "res2net_cifar: w0 must be >= 1, got ", o.w0);
  const int n = (depth - 2) / 9;
  std::int64_t in = 16;
  auto stages = res2net_stages({n, n, n}, in, 16, o.s, 1, [&](std::size_t k) { return o.w0 << k; });
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 16, 3, 1, false}, std::move(stages),
                                  in, o.classes);
}

std::shared_ptr<ResNet> res2next29_cifar(std::int64_t cardinality, std::int64_t base_width,
                                         std::int64_t scale, const ModelOptions& o) {
  std::int64_t in = 64;
  auto stages = res2net_stages({3, 3, 3}, in, 64, scale, cardinality, [&](std::size_t k) {
    return res2net_width(64 << k, base_width, cardinality);
  });
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 3, 1, false}, std::move(stages),
                                  in, o.classes);
}

}  // namespace hs::models
