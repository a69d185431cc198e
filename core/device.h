#pragma once
// Device: where a tensor's bytes live, the CPU or a CUDA GPU (by index).
#include <cstdint>
#include <ostream>
#include <string>

namespace hs {

enum class DeviceType : std::uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::CPU, 0}; }
  static constexpr Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  std::string str() const;
  friend constexpr bool operator==(Device a, Device b) {
    return a.type == b.type && (a.is_cpu() || a.index == b.index);
  }
};

// Parses "cpu", "cuda" or "cuda:N"; anything else is an hs::Error.
Device parse_device(const std::string& text);

inline std::ostream& operator<<(std::ostream& os, Device d) { return os << d.str(); }

}  // namespace hs
