#include "nn/layers.h"

#include "autograd/functions.h"
#include "autograd/pooling.h"

namespace hs::nn {

namespace {
std::string pool_repr(std::int64_t kernel, std::int64_t stride, std::int64_t padding) {
  return "kernel_size=" + std::to_string(kernel) + ", stride=" + std::to_string(stride) +
         ", padding=" + std::to_string(padding);
}
}  // namespace

Variable ReLU::forward(const Variable& x) { return relu(x); }

MaxPool2d::MaxPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding)
    : kernel_(kernel), stride_(stride), padding_(padding) {}

Variable MaxPool2d::forward(const Variable& x) {
  return max_pool2d(x, kernel_, ops::Size2(stride_), padding_);
}

std::string MaxPool2d::extra_repr() const { return pool_repr(kernel_, stride_, padding_); }

AvgPool2d::AvgPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding)
    : kernel_(kernel), stride_(stride), padding_(padding) {}

Variable AvgPool2d::forward(const Variable& x) {
  return avg_pool2d(x, kernel_, ops::Size2(stride_), padding_);
}

std::string AvgPool2d::extra_repr() const { return pool_repr(kernel_, stride_, padding_); }

AdaptiveAvgPool2d::AdaptiveAvgPool2d(std::int64_t output_size) {
  HS_CHECK(output_size == 1, "AdaptiveAvgPool2d: only output_size 1 is supported, got ",
           output_size);
}

Variable AdaptiveAvgPool2d::forward(const Variable& x) { return global_avg_pool2d(x); }

Variable Flatten::forward(const Variable& x) { return flatten(x, 1, -1); }

}  // namespace hs::nn
