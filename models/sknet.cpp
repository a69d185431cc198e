#include "models/sknet.h"

#include "models/block_parts.h"
#include "models/blocks.h"
#include "models/stage.h"

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

namespace {

// Stages of SK bottlenecks with planes first_planes·2^k, stride 1 then 2; block(k) gives the
// options of stage k's blocks (in, planes and stride filled in here).
template <class BlockOf>
std::vector<std::shared_ptr<nn::Sequential>> sk_stages(const std::vector<int>& blocks,
                                                       std::int64_t& in, std::int64_t first_planes,
                                                       BlockOf&& block_of) {
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    SKBottleneckOptions b = block_of(k);
    b.planes = first_planes << k;
    stages.push_back(
        stage(blocks[k], in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
          b.in = cin;
          b.stride = stride;
          return std::pair{std::shared_ptr<nn::Module>(std::make_shared<SKBottleneck>(b)),
                           b.planes * 4};
        }));
  }
  return stages;
}

}  // namespace

std::shared_ptr<ResNet> skresnext50_32x4d(const ModelOptions& o) {
  std::int64_t in = 64;
  auto stages = sk_stages(imagenet_blocks(50, "skresnext"), in, 64, [](std::size_t k) {
    SKBottleneckOptions b;
    b.cardinality = 32;
    b.width = (std::int64_t{64} << k) * 4 / 64 * 32;
    b.attention = nn::make_divisible(b.width / 16.0, 32);
    return b;
  });
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 7, 2, true}, std::move(stages), in,
                                  o.classes);
}

std::shared_ptr<ResNet> skresnet_cifar(int depth, const ModelOptions& o) {
  HS_CHECK(depth >= 11 && (depth - 2) % 9 == 0,
           "skresnet_cifar: depth must be 9n+2 (29, 56, 110, 164), got ", depth);
  HS_CHECK(o.s >= 1 && o.w0 >= 1, "skresnet_cifar: s and w0 must be >= 1, got ", o.s, " and ",
           o.w0);
  const int n = (depth - 2) / 9;
  std::int64_t in = 16;
  auto stages = sk_stages({n, n, n}, in, 16, [&](std::size_t k) {
    SKBottleneckOptions b;
    b.width = (o.s * o.w0) << k;
    b.attention = nn::make_divisible(b.width / 16.0, 8);
    return b;
  });
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 16, 3, 1, false}, std::move(stages),
                                  in, o.classes);
}

}  // namespace hs::models
