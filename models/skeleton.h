#pragma once
// The two network skeletons every model here is a preset of — the CIFAR layout (3x3 stem,
// three stages of planes 16, 32, 64) and the ImageNet layout (7x7 stem, max-pool, four stages
// of planes 64..512) — each with a choice of residual block:
//   basic       conv3x3 -> conv3x3 (ResNet-20, ResNet-18)
//   bottleneck  conv1x1 -> conv3x3 -> conv1x1 (torchvision's ResNet-50)
//   hs          conv1x1 -> HS block -> conv1x1 (HS-ResNet)
//   res2net     conv1x1 -> Res2Net hierarchy -> conv1x1 (Res2Net, Res2NeXt)
//   sk          conv1x1 -> selective kernel -> conv1x1 (SKNet)
// Width and scale mean the same for every multi-scale block where the skeleton allows it:
// on CIFAR, stage k's middle is s groups of w0·2^k channels (s·w0·2^k for the single-path
// bottleneck and SK blocks). On ImageNet each block keeps its paper's convention: stage k of
// `planes` planes has a middle of planes·base_width/64 channels split into s groups for HS,
// s splits of planes·base_width/64·cardinality channels each for Res2Net (its "26w"), and
// planes·base_width/64·cardinality channels for the bottleneck and SK blocks (ResNeXt's "4d").
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/resnet.h"

namespace hs::models {

enum class BlockKind { basic, bottleneck, hs, res2net, sk };

// "basic", "bottleneck", "hs", "res2net", "sk" <-> BlockKind; an unknown name is an hs::Error
// listing the valid ones.
BlockKind parse_block(const std::string& name);
const char* block_name(BlockKind kind);
std::vector<std::string> block_names();

struct ModelOptions {
  BlockKind block = BlockKind::hs;
  int depth = 29;
  std::int64_t classes = 10;
  std::int64_t in_channels = 3;
  std::int64_t s = 4;             // split number / scale (CIFAR default 4, ImageNet HS default 8)
  std::int64_t w0 = 8;            // CIFAR: group width of stage 1 (doubles per stage)
  std::int64_t base_width = 64;   // ImageNet: width per 64 planes (see the header comment)
  std::int64_t cardinality = 1;   // groups of the 3x3 convolutions (Res2NeXt, SK ResNeXt)
  std::int64_t base_planes = 16;  // CIFAR: stem width and stage 1's planes (64: ResNeXt-29)
  double ratio = 0.5;             // HS: carry ratio r
  bool carry_leading = false;     // HS: carry the leading channels of each group
  bool plain_downsample = false;  // HS ImageNet: strided blocks use a plain conv3x3
  // HS: explicit per-group proportions (e.g. {1,1,2,4}); empty: s even groups. Its length is
  // the split number, and each stage's width is divided by nn::split_widths.
  std::vector<double> split;
};

// Depth 6n+2 (basic) or 9n+2 (the three-convolution blocks): n blocks per stage, planes
// base_planes·2^k.
std::shared_ptr<ResNet> cifar_resnet(const ModelOptions& opts);
// Depth 18 or 34 (basic), 50, 101 or 152 (the others): torchvision's blocks per stage.
std::shared_ptr<ResNet> imagenet_resnet(const ModelOptions& opts);

}  // namespace hs::models
