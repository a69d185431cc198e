#include "models/skeleton.h"

#include <sstream>
#include <utility>

#include "models/blocks.h"
#include "models/res2net.h"
#include "models/sknet.h"
#include "models/stage.h"

namespace hs::models {

namespace {

constexpr BlockKind kBlocks[] = {BlockKind::basic, BlockKind::bottleneck, BlockKind::hs,
                                 BlockKind::res2net, BlockKind::sk};

// What one stage needs to build its blocks: planes, the multi-scale middle's settings for
// this stage, and how many channels a block puts out.
struct StageSpec {
  std::int64_t planes = 0;
  std::int64_t width = 0;      // HS and Res2Net: one group's width; otherwise the middle's width
  std::int64_t total = 0;      // HS: the whole middle's width (what `split` divides)
  std::int64_t attention = 0;  // SK: attention channels
};

void check_hs(const ModelOptions& o) {
  HS_CHECK(o.s >= 2, "model: s (split number) must be >= 2, got ", o.s);
  HS_CHECK(o.split.empty() || static_cast<std::int64_t>(o.split.size()) == o.s, "model: split has ",
           o.split.size(), " proportions but s is ", o.s,
           " (give s equal to the number of groups, or leave it out)");
  HS_CHECK(o.ratio >= 0.0 && o.ratio < 1.0, "model: ratio (carry ratio) must be in [0, 1), got ",
           o.ratio);
}

void check_block_options(const ModelOptions& o) {
  HS_CHECK(o.cardinality >= 1, "model: cardinality must be >= 1, got ", o.cardinality);
  HS_CHECK(o.cardinality == 1 || o.block == BlockKind::res2net || o.block == BlockKind::sk,
           "model: cardinality ", o.cardinality, " needs the res2net or sk block (block ",
           block_name(o.block), " has ungrouped convolutions)");
  if (o.block == BlockKind::hs) check_hs(o);
  if (o.block == BlockKind::res2net)
    HS_CHECK(o.s >= 2, "res2net: scale (split number s) must be >= 2, got ", o.s);
}

// One block of kind o.block for stage `spec`, and its output channel count.
std::pair<std::shared_ptr<nn::Module>, std::int64_t> make_block(const ModelOptions& o,
                                                                const StageSpec& spec,
                                                                std::int64_t in,
                                                                std::int64_t stride) {
  switch (o.block) {
    case BlockKind::basic:
      return {std::make_shared<BasicBlock>(in, spec.planes, stride), spec.planes};
    case BlockKind::bottleneck:
      return {std::make_shared<Bottleneck>(in, spec.planes, stride, spec.width), spec.planes * 4};
    case BlockKind::hs: {
      HSBottleneckOptions b;
      if (!o.split.empty()) b.hs.widths = nn::split_widths(o.split, spec.total);
      b.in = in;
      b.planes = spec.planes;
      b.stride = stride;
      b.hs.splits = o.s;
      b.hs.width = spec.width;
      b.hs.carry_ratio = o.ratio;
      b.hs.carry_leading = o.carry_leading;
      b.plain_downsample = o.plain_downsample;
      return {std::make_shared<HSBottleneck>(b), spec.planes * 4};
    }
    case BlockKind::res2net: {
      Res2NetBottleneckOptions b;
      b.in = in;
      b.planes = spec.planes;
      b.stride = stride;
      b.scale = o.s;
      b.width = spec.width;
      b.cardinality = o.cardinality;
      return {std::make_shared<Res2NetBottleneck>(b), spec.planes * 4};
    }
    case BlockKind::sk: {
      SKBottleneckOptions b;
      b.in = in;
      b.planes = spec.planes;
      b.stride = stride;
      b.width = spec.width;
      b.cardinality = o.cardinality;
      b.attention = spec.attention;
      return {std::make_shared<SKBottleneck>(b), spec.planes * 4};
    }
  }
  HS_FAIL("model: unknown block kind");
}

// The stages of `blocks[k]` blocks each; the first stage keeps the size, the others halve it.
std::vector<std::shared_ptr<nn::Sequential>> make_stages(const ModelOptions& o,
                                                         const std::vector<int>& blocks,
                                                         const std::vector<StageSpec>& specs,
                                                         std::int64_t& in) {
  std::vector<std::shared_ptr<nn::Sequential>> stages;
  for (std::size_t k = 0; k < blocks.size(); ++k)
    stages.push_back(
        stage(blocks[k], in, k == 0 ? 1 : 2, [&](std::int64_t cin, std::int64_t stride) {
          return make_block(o, specs[k], cin, stride);
        }));
  return stages;
}

}  // namespace

BlockKind parse_block(const std::string& name) {
  for (BlockKind kind : kBlocks)
    if (name == block_name(kind)) return kind;
  std::ostringstream valid;
  for (const std::string& n : block_names()) valid << (valid.tellp() ? ", " : "") << n;
  HS_FAIL("model: unknown block '", name, "' (valid: ", valid.str(), ")");
}

const char* block_name(BlockKind kind) {
  switch (kind) {
    case BlockKind::basic:
      return "basic";
    case BlockKind::bottleneck:
      return "bottleneck";
    case BlockKind::hs:
      return "hs";
    case BlockKind::res2net:
      return "res2net";
    case BlockKind::sk:
      return "sk";
  }
  return "?";
}

std::vector<std::string> block_names() {
  std::vector<std::string> names;
  for (BlockKind kind : kBlocks) names.emplace_back(block_name(kind));
  return names;
}

std::shared_ptr<ResNet> cifar_resnet(const ModelOptions& o) {
  const bool basic = o.block == BlockKind::basic;
  const int layers = basic ? 6 : 9;  // convolutions per stage and block
  HS_CHECK(o.depth >= layers + 2 && (o.depth - 2) % layers == 0, "cifar_resnet: depth must be ",
           basic ? "6n+2 (20, 32, 44, 56, 110)" : "9n+2 (29, 56, 110, 164)", " for ",
           block_name(o.block), " blocks, got ", o.depth);
  check_block_options(o);
  HS_CHECK(o.w0 >= 1, "cifar_resnet: w0 must be >= 1, got ", o.w0);
  const int n = (o.depth - 2) / layers;
  std::vector<StageSpec> specs;
  for (int k = 0; k < 3; ++k) {
    StageSpec spec;
    spec.planes = o.base_planes << k;
    const std::int64_t group = o.w0 << k;
    const bool grouped = o.block == BlockKind::hs || o.block == BlockKind::res2net;
    spec.width = grouped ? group : o.s * group;
    spec.total = o.s * group;
    spec.attention = nn::make_divisible(static_cast<double>(spec.width) / 16.0, 8);
    specs.push_back(spec);
  }
  std::int64_t in = o.base_planes;
  auto stages = make_stages(o, {n, n, n}, specs, in);
  return std::make_shared<ResNet>(StemOptions{o.in_channels, o.base_planes, 3, 1, false},
                                  std::move(stages), in, o.classes);
}

std::shared_ptr<ResNet> imagenet_resnet(const ModelOptions& o) {
  const bool basic = o.block == BlockKind::basic;
  std::vector<int> blocks;
  if (basic) {
    HS_CHECK(o.depth == 18 || o.depth == 34,
             "imagenet_resnet: depth must be 18 or 34 for basic blocks, got ", o.depth);
    blocks = o.depth == 18 ? std::vector<int>{2, 2, 2, 2} : std::vector<int>{3, 4, 6, 3};
  } else {
    blocks = imagenet_blocks(o.depth, "imagenet_resnet");
  }
  check_block_options(o);
  std::vector<StageSpec> specs;
  for (int k = 0; k < 4; ++k) {
    StageSpec spec;
    spec.planes = std::int64_t{64} << k;
    const std::int64_t width = spec.planes * o.base_width / 64;
    switch (o.block) {
      case BlockKind::hs:
        HS_CHECK(!o.split.empty() || width % o.s == 0, "imagenet_resnet: stage width ", width,
                 " is not divisible by s=", o.s, " (an uneven `split` divides any width)");
        spec.width = width / o.s;
        spec.total = width;
        break;
      case BlockKind::res2net:
        spec.width = res2net_width(spec.planes, o.base_width, o.cardinality);
        HS_CHECK(spec.width >= 1, "res2net: stage ", k + 1, " has a split width of ", spec.width,
                 " (must be >= 1)");
        break;
      default:
        spec.width = width * o.cardinality;
        spec.attention = nn::make_divisible(static_cast<double>(spec.width) / 16.0, 32);
        break;
    }
    specs.push_back(spec);
  }
  std::int64_t in = 64;
  auto stages = make_stages(o, blocks, specs, in);
  return std::make_shared<ResNet>(StemOptions{o.in_channels, 64, 7, 2, true}, std::move(stages), in,
                                  o.classes);
}

}  // namespace hs::models
