#pragma once
// The Res2Net family (Gao et al., arXiv 1904.01169): the bottleneck whose middle is a
// Res2NetBlock (nn/res2net_block.h); models/skeleton.h builds the networks of it. Parameter names
// follow timm's res2net.py (conv1, bn1, convs.i, bns.i, pool, conv3, bn3, downsample).
#include <cstdint>
#include <memory>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/res2net_block.h"
#include "nn/sequential.h"

namespace hs::models {

// conv1x1 (in -> scale·width) -> BN -> ReLU -> Res2Net hierarchy -> conv1x1 (scale·width ->
// 4·planes) -> BN, + shortcut (conv1x1 stride -> BN when the shape changes), ReLU. The block
// with a projection shortcut is the stage type (nn/res2net_block.h).
struct Res2NetBottleneckOptions {
  std::int64_t in = 0, planes = 0, stride = 1;
  std::int64_t scale = 4, width = 26, cardinality = 1;  // width: channels per split
};

class Res2NetBottleneck : public nn::Module {
 public:
  explicit Res2NetBottleneck(const Res2NetBottleneckOptions& opts);
  std::string type_name() const override { return "Res2NetBottleneck"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override { return hierarchy_.describe(); }

 protected:
  void fold_own_batch_norms() override;

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv3_;
  std::shared_ptr<nn::BatchNorm2d> bn1_, bn3_;
  nn::Res2NetHierarchy hierarchy_;
  std::shared_ptr<nn::Sequential> downsample_;
};

// The split width of a stage with `planes` planes, as the released code computes it:
// ⌊planes·base_width/64⌋·cardinality.
std::int64_t res2net_width(std::int64_t planes, std::int64_t base_width, std::int64_t cardinality);

}  // namespace hs::models
