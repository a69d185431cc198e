#include <iomanip>
#include <sstream>

#include "core/tensor.h"

namespace hs {

namespace {

constexpr std::int64_t kSummariseAbove = 1000;  // elements
constexpr std::int64_t kEdgeItems = 3;

void print_values(std::ostream& os, const Tensor& t, int dim, std::int64_t offset, bool summarise,
                  int indent) {
  const std::int64_t n = t.size(dim);
  os << '[';
  for (std::int64_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * kEdgeItems && i == kEdgeItems) {
      os << (dim + 1 == t.dim() ? "..., " : "...,\n" + std::string(indent + 1, ' '));
      i = n - kEdgeItems - 1;
      continue;
    }
    const std::int64_t off = offset + i * t.stride(dim);
    if (dim + 1 == t.dim()) {
      dispatch_dtype(t.dtype(), [&](auto zero) {
        using T = decltype(zero);
        os << static_cast<const T*>(t.storage()->data())[off];
      });
    } else {
      print_values(os, t, dim + 1, off, summarise, indent + 1);
    }
    if (i + 1 < n) os << (dim + 1 == t.dim() ? ", " : ",\n" + std::string(indent + 1, ' '));
  }
  os << ']';
}

}  // namespace

std::string Tensor::str() const {
  std::ostringstream os;
  if (!defined()) return "tensor(undefined)";
  const Tensor host = to(Device::cpu());
  os << "tensor(";
  if (dim() == 0) {
    os << host.item();
  } else {
    os << std::setprecision(4);
    print_values(os, host, 0, host.storage_offset(), numel() > kSummariseAbove, 7);
  }
  os << ", shape=" << sizes_ << ", dtype=" << dtype_ << ", device=" << device() << ')';
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << t.str(); }

}  // namespace hs
