#include <cmath>

#include "core/backend.h"
#include "core/tensor.h"

namespace hs {

Tensor empty(const Shape& shape, TensorOptions opts) {
  for (std::int64_t s : shape) HS_CHECK(s >= 0, "empty: negative extent in shape ", shape);
  const std::size_t nbytes = shape.numel() * element_size(opts.dtype);
  auto storage = std::make_shared<Storage>(nbytes, opts.device);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, opts.dtype);
}

Tensor full(const Shape& shape, double value, TensorOptions opts) {
  Tensor t = empty(shape, opts);
  t.fill_(value);
  return t;
}

Tensor zeros(const Shape& shape, TensorOptions opts) { return full(shape, 0.0, opts); }
Tensor ones(const Shape& shape, TensorOptions opts) { return full(shape, 1.0, opts); }
Tensor scalar_tensor(double value, TensorOptions opts) { return full(Shape{}, value, opts); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), {t.dtype(), t.device()}); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), {t.dtype(), t.device()}); }

namespace {

// Fills a fresh CPU tensor of `shape` with gen_value() in row-major order, then moves it to
// the requested dtype and device.
template <class F>
Tensor generate(const Shape& shape, TensorOptions opts, F&& gen_value) {
  Tensor host = empty(shape, {DType::f64, Device::cpu()});
  double* p = host.data<double>();
  for (std::int64_t i = 0; i < host.numel(); ++i) p[i] = gen_value(i);
  return host.to(opts.dtype).to(opts.device);
}

}  // namespace

Tensor arange(std::int64_t n, TensorOptions opts) {
  HS_CHECK(n >= 0, "arange: n must be non-negative, got ", n);
  return generate(Shape{n}, opts, [](std::int64_t i) { return static_cast<double>(i); });
}

Tensor arange(double start, double end, double step, TensorOptions opts) {
  HS_CHECK(step != 0, "arange: step must be non-zero");
  const double count = std::ceil((end - start) / step);
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  return generate(Shape{n}, opts, [&](std::int64_t i) { return start + step * i; });
}

Tensor rand(const Shape& shape, Generator& gen, TensorOptions opts, double low, double high) {
  HS_CHECK(low <= high, "rand: low ", low, " is above high ", high);
  return generate(shape, opts, [&](std::int64_t) { return low + (high - low) * gen.uniform(); });
}

Tensor randn(const Shape& shape, Generator& gen, TensorOptions opts, double mean, double std) {
  HS_CHECK(std >= 0, "randn: std must be non-negative, got ", std);
  return generate(shape, opts, [&](std::int64_t) { return mean + std * gen.normal(); });
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device) {
  HS_CHECK(static_cast<std::int64_t>(values.size()) == shape.numel(),
           "from_vector: ", values.size(), " values do not fill shape ", shape, " (", shape.numel(),
           " elements)");
  Tensor host = empty(shape, {dtype_of<T>(), Device::cpu()});
  std::copy(values.begin(), values.end(), host.data<T>());
  return host.to(device);
}
template Tensor from_vector<float>(const std::vector<float>&, const Shape&, Device);
template Tensor from_vector<double>(const std::vector<double>&, const Shape&, Device);
template Tensor from_vector<std::int64_t>(const std::vector<std::int64_t>&, const Shape&, Device);

}  // namespace hs
