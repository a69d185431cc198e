#pragma once
// SelectiveKernel: the Selective-Kernel convolution of SKNet (Li et al., CVPR 2019), the
// middle of an SK bottleneck. M branches see the same input with growing receptive fields
// (branch m: conv3x3 with dilation m+1, so 3x3, "5x5", ...; stride, groups = cardinality)
// -> BN -> ReLU, giving u_m [N, C, H', W']. Their sum is pooled to s [N, C] and squeezed,
// z = ReLU(BN(fc_reduce(s))) with `attention` channels, and fc_select(z) gives M·C logits;
// a softmax over the M branches gives per-channel weights a_m, and the output is
// Σ_m a_m ⊙ u_m (C channels). Parameter names follow timm's sknet (paths.m.conv, paths.m.bn,
// attn.fc_reduce, attn.bn, attn.fc_select).
#include <cstdint>
#include <memory>
#include <string>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/module.h"
#include "nn/sequential.h"

namespace hs::nn {

struct SelectiveKernelOptions {
  std::int64_t in_channels = 64, out_channels = 64;
  std::int64_t branches = 2;     // M >= 2
  std::int64_t cardinality = 1;  // groups of every branch convolution
  std::int64_t stride = 1;
  std::int64_t attention = 32;  // channels of the squeezed descriptor z (>= 1)
};

// timm's make_divisible: v rounded to a multiple of `divisor` (at least `divisor`), raised
// by one divisor when rounding lost more than 10%. SK blocks size `attention` with it.
std::int64_t make_divisible(double v, std::int64_t divisor);

class SelectiveKernel : public Module {
 public:
  // Requires the channel counts divisible by cardinality, branches >= 2, attention >= 1.
  explicit SelectiveKernel(const SelectiveKernelOptions& opts);
  std::string type_name() const override { return "SelectiveKernel"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override;
  const SelectiveKernelOptions& options() const { return opts_; }

 private:
  SelectiveKernelOptions opts_;
  std::shared_ptr<Sequential> paths_;  // branch m: conv (dilation m+1) -> BN+ReLU
  std::shared_ptr<Module> attn_;       // pooled sum -> M·C logits
};

}  // namespace hs::nn
