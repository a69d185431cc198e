#pragma once
// The layers every residual block is assembled from, with the settings all families share:
// bias-free convolutions padded to keep the size, batch norm with momentum 0.1 and eps 1e-5,
// and the block's end (batch norm, shortcut add and ReLU in one pass).
#include <cstdint>
#include <memory>

#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/sequential.h"

namespace hs::models {

inline std::shared_ptr<nn::Conv2d> conv(std::int64_t in, std::int64_t out, std::int64_t k,
                                        std::int64_t stride, std::int64_t groups = 1) {
  nn::Conv2dOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_size = k;
  o.stride = stride;
  o.padding = k / 2;
  o.groups = groups;
  return std::make_shared<nn::Conv2d>(o);
}

// BatchNorm2d, with the ReLU that follows it fused in when `relu`.
inline std::shared_ptr<nn::BatchNorm2d> bn(std::int64_t c, bool relu) {
  return std::make_shared<nn::BatchNorm2d>(c, 0.1, 1e-5, relu);
}

// relu(bn(pre_bn) + shortcut(x)), the batch norm, add and ReLU in one pass.
inline Variable finish(nn::BatchNorm2d& bn, const Variable& pre_bn, const Variable& x,
                       const std::shared_ptr<nn::Sequential>& downsample) {
  return bn.forward_add_relu(pre_bn, downsample ? (*downsample)(x) : x);
}

}  // namespace hs::models
