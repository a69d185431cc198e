#pragma once
// HSBlock: the Hierarchical-Split block of HS-ResNet (arXiv 2010.07621). The input's C
// channels are split into s groups of widths w_1..w_s (C = Σ w_i); output has C channels.
//
// Stride 1: y_1 = x_1 goes straight to the output. For i = 2..s the group's input is
// cat(x_i, carry_{i-1}) of c_i = w_i + |carry_{i-1}| channels, which goes through
// conv3x3 (c_i -> c_i, pad 1, no bias) -> BN -> ReLU giving y_i. For i < s, ⌊r·c_i⌋ channels
// of y_i (the trailing ones, or the leading ones with carry_leading) are carry_i and the
// rest go to the output; y_s goes to the output whole.
// Stride 2 (the "stage" block): x_1 -> avg-pool 3x3/2 pad 1; each x_i (i >= 2) -> its own
// conv3x3 stride 2 (w_i -> w_i) -> BN -> ReLU; no carry. Output = concatenation.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/sequential.h"

namespace hs::nn {

struct HSBlockOptions {
  std::int64_t splits = 4;           // s >= 2
  std::int64_t width = 8;            // w >= 1, each group's width when `widths` is empty
  std::vector<std::int64_t> widths;  // explicit w_1..w_s for uneven splits (overrides s, w)
  double carry_ratio = 0.5;          // r in [0, 1)
  bool carry_leading = false;        // carry the leading ⌊r·c_i⌋ channels instead
  std::int64_t stride = 1;           // 1 or 2
};

// Channel bookkeeping of one group.
struct HSGroupPlan {
  std::int64_t width = 0;          // w_i, channels taken from the input split
  std::int64_t carry_in = 0;       // channels arriving from group i-1
  std::int64_t conv_channels = 0;  // c_i = width + carry_in (0 for group 1: no conv)
  std::int64_t carry_out = 0;      // channels passed on to group i+1
  std::int64_t to_output = 0;      // channels this group contributes to the output
};

// Group widths for `channels` channels in the proportions `split` (e.g. {1,1,2,4}), the rule
// every HS model applies to its stages' widths: each group first gets ⌊C·p_i/P⌋ channels
// (P = Σp) but at least 1; then, while the widths sum to less than C, one channel goes to the
// group furthest below its exact share C·p_i/P (ties: the earlier group), and while they sum
// to more (from the minimum of 1), one is taken from the group furthest above its share that
// has more than 1 (ties: the later group). The widths sum exactly to C, each is >= 1. Fewer
// than 2 proportions, a proportion <= 0, or fewer channels than groups is an hs::Error.
std::vector<std::int64_t> split_widths(const std::vector<double>& split, std::int64_t channels);

class HSBlock : public Module {
 public:
  explicit HSBlock(const HSBlockOptions& opts);
  std::string type_name() const override { return "HSBlock"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override;

  std::int64_t channels() const { return channels_; }
  const std::vector<HSGroupPlan>& plan() const { return plan_; }
  const HSBlockOptions& options() const { return opts_; }
  // The plan as a readable table (one line per group).
  std::string plan_str() const;

 protected:
  void fold_own_batch_norms() override;

 private:
  HSBlockOptions opts_;
  std::vector<std::int64_t> widths_;
  std::int64_t channels_ = 0;
  std::vector<HSGroupPlan> plan_;
  std::shared_ptr<Sequential> convs_;  // one conv per group 2..s
  std::shared_ptr<Sequential> bns_;    // one fused BN+ReLU per group 2..s
  std::shared_ptr<Module> pool_;       // stride 2 only: the pool of group 1
};

}  // namespace hs::nn
