#include "core/shape.h"

#include <sstream>

namespace hs {

Shape Shape::filled(int n, std::int64_t value) {
  HS_CHECK(n >= 0 && n <= kMaxDims, "shape: at most ", kMaxDims, " dims are supported, got ", n);
  Shape s;
  s.n_ = n;
  for (int i = 0; i < n; ++i) s.d_[i] = value;
  return s;
}

void Shape::push_back(std::int64_t v) {
  HS_CHECK(n_ < kMaxDims, "shape: at most ", kMaxDims, " dims are supported");
  d_[n_++] = v;
}

void Shape::insert(int pos, std::int64_t v) {
  HS_CHECK(n_ < kMaxDims, "shape: at most ", kMaxDims, " dims are supported");
  for (int i = n_; i > pos; --i) d_[i] = d_[i - 1];
  d_[pos] = v;
  ++n_;
}

void Shape::erase(int pos) {
  for (int i = pos; i + 1 < n_; ++i) d_[i] = d_[i + 1];
  --n_;
}

std::int64_t Shape::numel() const {
  std::int64_t n = 1;
  for (int i = 0; i < n_; ++i) n *= d_[i];
  return n;
}

std::string Shape::str() const {
  std::ostringstream os;
  os << '[';
  for (int i = 0; i < n_; ++i) os << (i ? "," : "") << d_[i];
  os << ']';
  return os.str();
}

Shape contiguous_strides(const Shape& sizes) {
  Shape strides = Shape::filled(sizes.size(), 1);
  std::int64_t running = 1;
  for (int i = sizes.size() - 1; i >= 0; --i) {
    strides[i] = running;
    running *= std::max<std::int64_t>(sizes[i], 1);
  }
  return strides;
}

int wrap_dim(std::int64_t dim, int ndim, const char* op) {
  const std::int64_t wrapped = dim < 0 ? dim + ndim : dim;
  HS_CHECK(wrapped >= 0 && wrapped < ndim, op, ": dim ", dim, " is out of range for a ", ndim,
           "-d tensor (expected ", -ndim, "..", ndim - 1, ")");
  return static_cast<int>(wrapped);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const int n = std::max(a.size(), b.size());
  Shape out = Shape::filled(n, 1);
  for (int i = 0; i < n; ++i) {
    const int ia = a.size() - n + i;
    const int ib = b.size() - n + i;
    const std::int64_t da = ia >= 0 ? a[ia] : 1;
    const std::int64_t db = ib >= 0 ? b[ib] : 1;
    HS_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", a, " and ", b,
             " do not broadcast (dim ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace hs
