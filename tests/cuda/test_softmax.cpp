// CUDA softmax against its CPU twin on the same random inputs, forward and backward, f32 and
// f64, every dimension of a 4-D shape, a non-contiguous input, and NaN rows.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "ops/softmax.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close;

TEST_CASE("CUDA softmax equals the CPU's, forward and backward") {
  Generator gen(31);
  for (DType dtype : {DType::f32, DType::f64}) {
    const double tol = dtype == DType::f32 ? 1e-6 : 1e-14;
    for (std::int64_t dim : {0, 1, 2, 3, -1}) {
      INFO(dtype << " dim " << dim);
      const Tensor x = rand({2, 3, 4, 5}, gen, dtype, -8.0, 8.0);
      const Tensor y = ops::softmax_forward(x, dim);
      const Tensor gy = ops::softmax_forward(x.to(kGpu), dim);
      require_close(gy, y, tol, tol);
      const Tensor dy = randn(x.shape(), gen, dtype);
      require_close(ops::softmax_backward(gy, dy.to(kGpu), dim), ops::softmax_backward(y, dy, dim),
                    tol, tol);
    }
  }
}

TEST_CASE("CUDA softmax: non-contiguous input and NaN rows as on the CPU") {
  Generator gen(32);
  const Tensor x = randn({6, 4}, gen);
  require_close(ops::softmax_forward(x.to(kGpu).transpose(0, 1), 1),
                ops::softmax_forward(x.transpose(0, 1), 1), 1e-6, 1e-6);
  const Tensor with_nan = from_vector(std::vector<float>{1, NAN, 2, 3, 4, 5}, {2, 3});
  require_close(ops::softmax_forward(with_nan.to(kGpu), 1), ops::softmax_forward(with_nan, 1), 1e-6,
                1e-6);
}
