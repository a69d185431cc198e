#pragma once
// DType: the element types a Tensor can hold. f32 is the default, f64 serves gradient
// checks, i64 holds labels and indices.
#include <cstddef>
#include <cstdint>
#include <ostream>

namespace hs {

enum class DType : std::uint8_t { f32, f64, i64 };

constexpr std::size_t element_size(DType t) { return t == DType::f32 ? 4 : 8; }

constexpr const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32:
      return "f32";
    case DType::f64:
      return "f64";
    case DType::i64:
      return "i64";
  }
  return "?";
}

constexpr bool is_floating(DType t) { return t != DType::i64; }

template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() {
  return DType::f32;
}
template <>
constexpr DType dtype_of<double>() {
  return DType::f64;
}
template <>
constexpr DType dtype_of<std::int64_t>() {
  return DType::i64;
}

inline std::ostream& operator<<(std::ostream& os, DType t) { return os << dtype_name(t); }

// Calls f with a value of the C++ type matching `t` (f(float{}), f(double{}) or
// f(int64_t{})), so a kernel is written once as a template.
template <class F>
decltype(auto) dispatch_dtype(DType t, F&& f) {
  switch (t) {
    case DType::f32:
      return f(float{});
    case DType::f64:
      return f(double{});
    case DType::i64:
      return f(std::int64_t{});
  }
  return f(float{});
}

// Like dispatch_dtype, for kernels defined on floating types only.
template <class F>
decltype(auto) dispatch_floating(DType t, F&& f) {
  if (t == DType::f64) return f(double{});
  return f(float{});
}

}  // namespace hs
