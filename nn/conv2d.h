#pragma once
// Conv2d: a 2-D convolution layer (NCHW) with weight [out, in/groups, k, k] initialised
// Kaiming-normal (fan_out, ReLU) and an optional bias (zeros). Requires in and out
// divisible by groups.
#include "autograd/conv2d.h"
#include "nn/module.h"

namespace hs::nn {

struct Conv2dOptions {
  std::int64_t in_channels = 0, out_channels = 0, kernel_size = 3;
  std::int64_t stride = 1, padding = 0, dilation = 1, groups = 1;
  bool bias = false;
};

class Conv2d : public Module {
 public:
  explicit Conv2d(const Conv2dOptions& opts);
  std::string type_name() const override { return "Conv2d"; }
  Variable forward(const Variable& x) override;
  std::int64_t macs(const Shape& input, const Shape& output) const override;
  std::string extra_repr() const override;
  const Conv2dOptions& options() const { return opts_; }
  // Makes the layer compute conv(x)·scale + shift per output channel (what folding the batch
  // norm after it does): weight·scale, bias·scale + shift, a bias created where there was none.
  // scale and shift are [out_channels] (any dtype and device). New tensors replace the old.
  void scale_output(const Tensor& scale, const Tensor& shift);
  // Makes the layer apply the ReLU of a batch norm folded into it (BatchNorm2d::fold_into):
  // without gradients in the convolution's own store, otherwise as a ReLU after it.
  void apply_output_relu() { output_relu_ = true; }
  bool applies_output_relu() const { return output_relu_; }

  Variable weight;
  Variable bias;  // undefined without bias

 private:
  Conv2dOptions opts_;
  bool output_relu_ = false;
};

}  // namespace hs::nn
