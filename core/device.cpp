#include "core/device.h"

#include <string>

#include "core/error.h"

namespace hs {

std::string Device::str() const {
  return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index);
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device::cpu();
  if (text == "cuda") return Device::cuda(0);
  if (text.rfind("cuda:", 0) == 0) {
    const std::string idx = text.substr(5);
    const bool digits = !idx.empty() && idx.find_first_not_of("0123456789") == std::string::npos;
    if (digits && idx.size() < 4) return Device::cuda(std::stoi(idx));
  }
  HS_FAIL("device: unknown device '", text, "' (expected cpu, cuda or cuda:N)");
}

}  // namespace hs
