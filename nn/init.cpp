#include "nn/init.h"

#include <cmath>

namespace hs::nn {
namespace {
thread_local bool t_skip_init = false;
}  // namespace

SkipInit::SkipInit() : previous_(t_skip_init) { t_skip_init = true; }
SkipInit::~SkipInit() { t_skip_init = previous_; }

Generator& global_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(std::uint64_t seed) { global_generator().seed_with(seed); }

Tensor kaiming_normal_fan_out(const Shape& shape, DType dtype) {
  HS_CHECK(shape.size() >= 2, "kaiming_normal: needs at least 2 dims, got ", shape);
  const std::int64_t fan_out = shape.numel() / shape[1];
  if (t_skip_init) return empty(shape, {dtype});
  return randn(shape, global_generator(), dtype, 0.0, std::sqrt(2.0 / fan_out));
}

Tensor uniform(const Shape& shape, double bound, DType dtype) {
  if (t_skip_init) return empty(shape, {dtype});
  return rand(shape, global_generator(), dtype, -bound, bound);
}

}  // namespace hs::nn
