#pragma once
// Res2NetBlock: the middle of a Res2Net bottleneck (Gao et al., arXiv 1904.01169): the
// hierarchical residual-like connections between `scale` groups x_0..x_{s-1} of `width`
// channels each (C = s·width in and out).
//
//   normal block:  y_0 = K_0(x_0),  y_i = K_i(x_i + y_{i-1}) for 1 <= i <= s-2,  y_{s-1} = x_{s-1}
//   stage block:   y_i = K_i(x_i) for i <= s-2 (no additions), y_{s-1} = avgpool3x3(x_{s-1})
//
// where K_i is conv3x3 (stride, groups = cardinality) -> BN -> ReLU and the stage block's
// pool has the block's stride, padding 1 and counts the padding in the average. The output
// is the concatenation of y_0..y_{s-1}. The paper's equation passes the *first* split
// through unchanged; the released code (Res2Net-PretrainedModels, and timm's res2net.py),
// whose weights people use, passes the *last* one: this block follows the code.
//
// The stage type is used for the first block of every stage (the one with a projection
// shortcut), stage 1 included, as the released code does. Parameter names follow timm's
// Bottle2neck (convs.i, bns.i, pool), so a bottleneck can hold them under its own name.
#include <cstdint>
#include <memory>
#include <string>

#include "nn/module.h"
#include "nn/sequential.h"

namespace hs::nn {

struct Res2NetBlockOptions {
  std::int64_t scale = 4;        // s >= 2 groups
  std::int64_t width = 26;       // channels per group (a multiple of cardinality)
  std::int64_t cardinality = 1;  // groups of each 3x3 convolution (Res2NeXt: > 1)
  std::int64_t stride = 1;
  bool stage = false;  // the first block of a stage: no additions, last split pooled
};

// The modules of the hierarchy, built from `o`; their owner registers them as "convs", "bns"
// and (stage blocks only, else null) "pool". Requires scale >= 2, width >= 1, cardinality >= 1
// dividing width, stride >= 1, and stride 1 only for non-stage blocks (the last split passes
// through unchanged there, so it cannot be strided).
struct Res2NetHierarchy {
  explicit Res2NetHierarchy(const Res2NetBlockOptions& o);
  // [N, s·width, H, W] -> [N, s·width, H/stride, W/stride].
  Variable forward(const Variable& x) const;
  std::string describe() const;  // "scale=4, width=26, cardinality=1, stride=1, stage"

  Res2NetBlockOptions opts;
  std::shared_ptr<Sequential> convs, bns;
  std::shared_ptr<Module> pool;
};

class Res2NetBlock : public Module {
 public:
  explicit Res2NetBlock(const Res2NetBlockOptions& opts);
  std::string type_name() const override { return "Res2NetBlock"; }
  Variable forward(const Variable& x) override { return hierarchy_.forward(x); }
  std::string extra_repr() const override { return hierarchy_.describe(); }
  std::int64_t channels() const { return hierarchy_.opts.scale * hierarchy_.opts.width; }
  const Res2NetBlockOptions& options() const { return hierarchy_.opts; }

 protected:
  void fold_own_batch_norms() override;

 private:
  Res2NetHierarchy hierarchy_;
};

}  // namespace hs::nn
