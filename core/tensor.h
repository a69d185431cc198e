#pragma once
// Tensor: a strided view of a shared Storage — shape, strides (in elements), offset and
// dtype. Copying a Tensor copies the handle, not the data; views (view, narrow, split,
// transpose, permute, expand, ...) share storage with their base. Tensor knows nothing of
// autograd: differentiable computation goes through hs::Variable (autograd/variable.h),
// which wraps a Tensor.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/shape.h"
#include "core/storage.h"

namespace hs {

struct StridedRef;

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor; defined() is false
  Tensor(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, std::int64_t offset,
         DType dtype);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return sizes_; }
  const Shape& strides() const { return strides_; }
  std::int64_t size(std::int64_t dim) const;
  std::int64_t stride(std::int64_t dim) const;
  int dim() const { return sizes_.size(); }
  std::int64_t numel() const { return sizes_.numel(); }
  std::int64_t storage_offset() const { return offset_; }
  DType dtype() const { return dtype_; }
  Device device() const;
  std::size_t nbytes() const { return numel() * element_size(dtype_); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }
  bool is_contiguous() const;
  bool is_cpu() const { return device().is_cpu(); }
  bool is_cuda() const { return device().is_cuda(); }

  // Address of the first element (storage base + offset).
  void* data_ptr() const;
  // Typed address of the first element; an hs::Error when T does not match dtype().
  template <class T>
  T* data() const {
    HS_CHECK(dtype_of<T>() == dtype_, "data<", dtype_name(dtype_of<T>()), ">: tensor holds ",
             dtype_name(dtype_));
    return static_cast<T*>(data_ptr());
  }
  // The single value of a one-element tensor, converted to double (copied from the device
  // when needed).
  double item() const;
  template <class T>
  T item() const {
    return static_cast<T>(item());
  }

  // ---- views: share storage ----
  // Same elements in a new shape; one extent may be -1. Needs strides compatible with the
  // new shape (always so for contiguous tensors); reshape() copies when they are not.
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  // Pieces of the given sizes along dim (they must sum to size(dim)).
  std::vector<Tensor> split(const std::vector<std::int64_t>& sizes, std::int64_t dim) const;
  // Pieces of `chunk` elements along dim (the last may be shorter).
  std::vector<Tensor> split(std::int64_t chunk, std::int64_t dim) const;
  Tensor transpose(std::int64_t d0, std::int64_t d1) const;
  Tensor permute(const std::vector<std::int64_t>& order) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor squeeze() const;
  // Broadcasts size-1 dims (and new leading dims) to `shape` with stride 0; -1 keeps a dim.
  Tensor expand(const Shape& shape) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor as_strided(const Shape& sizes, const Shape& strides, std::int64_t offset) const;

  // ---- copies ----
  Tensor contiguous() const;  // this when already contiguous
  Tensor clone() const;       // always a fresh contiguous copy
  Tensor to(Device device) const;
  Tensor to(DType dtype) const;
  // Copies src's values into this tensor's elements (same shape; any device or dtype).
  Tensor& copy_(const Tensor& src);
  Tensor& fill_(double value);
  Tensor& zero_() { return fill_(0.0); }

  // Values as a flat vector in logical (row-major) order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // True when both tensors view the same Storage.
  bool shares_storage_with(const Tensor& other) const { return storage_ == other.storage_; }

  StridedRef ref() const;
  std::string str() const;

 private:
  std::shared_ptr<Storage> storage_;
  Shape sizes_;
  Shape strides_;
  std::int64_t offset_ = 0;
  DType dtype_ = DType::f32;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// ---- factories ----
struct TensorOptions {
  DType dtype = DType::f32;
  Device device = Device::cpu();
  TensorOptions() = default;
  TensorOptions(DType t) : dtype(t) {}  // NOLINT: implicit for brevity at call sites
  TensorOptions(DType t, Device d) : dtype(t), device(d) {}
};

Tensor empty(const Shape& shape, TensorOptions opts = {});
Tensor zeros(const Shape& shape, TensorOptions opts = {});
Tensor ones(const Shape& shape, TensorOptions opts = {});
Tensor full(const Shape& shape, double value, TensorOptions opts = {});
// 0, 1, ..., n-1 and start, start+step, ... (< end).
Tensor arange(std::int64_t n, TensorOptions opts = {});
Tensor arange(double start, double end, double step, TensorOptions opts = {});
// Uniform in [low, high) and normal(mean, std), drawn on the CPU from `gen` in row-major
// order, so the values do not depend on the device.
Tensor rand(const Shape& shape, Generator& gen, TensorOptions opts = {}, double low = 0.0,
            double high = 1.0);
Tensor randn(const Shape& shape, Generator& gen, TensorOptions opts = {}, double mean = 0.0,
             double std = 1.0);
// A tensor holding `values` (copied) with the given shape (default: 1-D).
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, Device device = Device::cpu());
template <class T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<std::int64_t>(values.size())});
}
Tensor scalar_tensor(double value, TensorOptions opts = {});

// Fresh tensor with the same shape, dtype and device (uninitialised / zero).
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);

}  // namespace hs
