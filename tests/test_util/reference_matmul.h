#pragma once
// The naive matmul reference of the ops and autograd tests: a direct triple loop in f64.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace hs::test {

// [B,m,k] x [B,k,n] (or 2-D [m,k] x [k,n]) over the logical values of any layout and dtype;
// the product row-major, [B,m,n] (or [m,n]).
inline std::vector<double> reference_matmul(const Tensor& a, const Tensor& b) {
  const bool batched = a.dim() == 3;
  const std::int64_t batch = batched ? a.size(0) : 1;
  const std::int64_t m = a.size(-2), k = a.size(-1), n = b.size(-1);
  const std::vector<double> av = a.to_vector<double>();
  const std::vector<double> bv = b.to_vector<double>();
  std::vector<double> c(batch * m * n, 0.0);
  for (std::int64_t p = 0; p < batch; ++p)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (std::int64_t q = 0; q < k; ++q)
          acc += av[(p * m + i) * k + q] * bv[(p * k + q) * n + j];
        c[(p * m + i) * n + j] = acc;
      }
  return c;
}

}  // namespace hs::test
