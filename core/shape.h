#pragma once
// Shape: a small inline list of up to kMaxDims int64 extents (or strides), with no heap
// allocation. Also the helpers every layer uses for dims: wrapping negative dims,
// contiguous strides, broadcasting.
#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"

namespace hs {

constexpr int kMaxDims = 8;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<std::int64_t>& dims) { assign(dims.begin(), dims.end()); }
  static Shape filled(int n, std::int64_t value);

  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  std::int64_t& operator[](int i) { return d_[i]; }
  std::int64_t operator[](int i) const { return d_[i]; }
  std::int64_t* begin() { return d_.data(); }
  std::int64_t* end() { return d_.data() + n_; }
  const std::int64_t* begin() const { return d_.data(); }
  const std::int64_t* end() const { return d_.data() + n_; }
  std::int64_t back() const { return d_[n_ - 1]; }

  void push_back(std::int64_t v);
  void insert(int pos, std::int64_t v);
  void erase(int pos);

  // Product of the extents (1 for a 0-d shape).
  std::int64_t numel() const;
  std::vector<std::int64_t> vec() const { return {begin(), end()}; }
  std::string str() const;

  friend bool operator==(const Shape& a, const Shape& b) {
    return a.n_ == b.n_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  template <class It>
  void assign(It first, It last) {
    HS_CHECK(last - first <= kMaxDims, "shape: at most ", kMaxDims, " dims are supported, got ",
             last - first);
    n_ = static_cast<int>(last - first);
    std::copy(first, last, d_.begin());
  }
  std::array<std::int64_t, kMaxDims> d_{};
  int n_ = 0;
};

inline std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.str(); }

// Row-major (C-contiguous) strides for `sizes`, in elements.
Shape contiguous_strides(const Shape& sizes);

// Maps a possibly negative dim into [0, ndim); an hs::Error naming `op` otherwise.
int wrap_dim(std::int64_t dim, int ndim, const char* op);

// The broadcast of two shapes under NumPy rules; an hs::Error naming `op` and both shapes
// when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace hs
