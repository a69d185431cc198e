#pragma once
// Parameter initialisation, drawn from a process-wide generator that manual_seed() resets,
// so a model built after manual_seed(s) has the same weights on every run and machine.
#include <cstdint>

#include "core/generator.h"
#include "core/tensor.h"

namespace hs::nn {

Generator& global_generator();
void manual_seed(std::uint64_t seed);

// Kaiming (He) normal for ReLU networks, fan_out mode: std = sqrt(2 / fan_out), where
// fan_out = size(0) * (product of the trailing dims) — torchvision's ResNet convention.
Tensor kaiming_normal_fan_out(const Shape& shape, DType dtype = DType::f32);
// Uniform in [-bound, bound).
Tensor uniform(const Shape& shape, double bound, DType dtype = DType::f32);

// While one lives on this thread, the two functions above return uninitialised tensors of
// their shape and draw nothing from the generator: for building a model only to check its
// options and shapes (hsnet sweep checks every trial's model before any trains), where
// drawing the weights of a wide model cost most of the time (the role of transformers'
// no_init_weights). Nests.
class SkipInit {
 public:
  SkipInit();
  ~SkipInit();
  SkipInit(const SkipInit&) = delete;
  SkipInit& operator=(const SkipInit&) = delete;

 private:
  bool previous_;
};

}  // namespace hs::nn
