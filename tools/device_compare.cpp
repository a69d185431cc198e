#include "tools/device_compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace hs {

DeviceDiff compare_to_cpu(const Tensor& on_device, const Tensor& on_cpu, double rtol, double atol,
                          double perturbation) {
  DeviceDiff d;
  d.same_shape_and_dtype =
      on_device.shape() == on_cpu.shape() && on_device.dtype() == on_cpu.dtype();
  if (!d.same_shape_and_dtype) {
    d.max_abs_err = std::numeric_limits<double>::infinity();
    return d;
  }
  const std::vector<double> got = on_device.to(Device::cpu()).to_vector<double>();
  const std::vector<double> want = on_cpu.to_vector<double>();
  double worst_excess = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double g = got[i] + perturbation;
    if (std::isnan(g) && std::isnan(want[i])) continue;
    const double err = std::abs(g - want[i]);
    d.max_abs_err =
        std::isnan(err) ? std::numeric_limits<double>::infinity() : std::max(d.max_abs_err, err);
    const double excess = err - (atol + rtol * std::abs(want[i]));
    if (!(excess <= worst_excess)) {  // also catches NaN on one side
      worst_excess = std::isnan(excess) ? std::numeric_limits<double>::infinity() : excess;
      d.worst = static_cast<std::int64_t>(i);
      d.device_value = g;
      d.cpu_value = want[i];
    }
  }
  return d;
}

double comparison_scale(const Tensor& t) {
  double scale = 1.0;
  for (const double v : t.to_vector<double>()) scale = std::max(scale, std::abs(v));
  return scale;
}

}  // namespace hs
