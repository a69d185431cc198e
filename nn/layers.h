#pragma once
// Parameter-free layers: ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d (to 1x1 only),
// Flatten and Identity.
#include "nn/module.h"

namespace hs::nn {

class ReLU : public Module {
 public:
  std::string type_name() const override { return "ReLU"; }
  Variable forward(const Variable& x) override;
};

class MaxPool2d : public Module {
 public:
  MaxPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
  std::string type_name() const override { return "MaxPool2d"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override;

 private:
  std::int64_t kernel_, stride_, padding_;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(std::int64_t kernel, std::int64_t stride, std::int64_t padding = 0);
  std::string type_name() const override { return "AvgPool2d"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override;

 private:
  std::int64_t kernel_, stride_, padding_;
};

// Global average pooling: [N,C,H,W] -> [N,C,1,1]. Only output size 1 is supported.
class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(std::int64_t output_size = 1);
  std::string type_name() const override { return "AdaptiveAvgPool2d"; }
  Variable forward(const Variable& x) override;
  std::string extra_repr() const override { return "output_size=1"; }
};

// [N, d1, d2, ...] -> [N, d1*d2*...].
class Flatten : public Module {
 public:
  std::string type_name() const override { return "Flatten"; }
  Variable forward(const Variable& x) override;
};

class Identity : public Module {
 public:
  std::string type_name() const override { return "Identity"; }
  Variable forward(const Variable& x) override { return x; }
};

}  // namespace hs::nn
