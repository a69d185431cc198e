#include "core/tensor.h"

#include <algorithm>
#include <numeric>

#include "core/backend.h"

namespace hs {

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape sizes, Shape strides, std::int64_t offset,
               DType dtype)
    : storage_(std::move(storage)),
      sizes_(sizes),
      strides_(strides),
      offset_(offset),
      dtype_(dtype) {
  HS_CHECK(sizes_.size() == strides_.size(), "tensor: ", sizes_.size(), " sizes but ",
           strides_.size(), " strides");
}

Device Tensor::device() const { return storage_ ? storage_->device() : Device::cpu(); }

std::int64_t Tensor::size(std::int64_t dim) const {
  return sizes_[wrap_dim(dim, this->dim(), "size")];
}

std::int64_t Tensor::stride(std::int64_t dim) const {
  return strides_[wrap_dim(dim, this->dim(), "stride")];
}

bool Tensor::is_contiguous() const {
  std::int64_t expected = 1;
  for (int d = dim() - 1; d >= 0; --d) {
    if (sizes_[d] == 1) continue;
    if (strides_[d] != expected) return false;
    expected *= sizes_[d];
  }
  return true;
}

void* Tensor::data_ptr() const {
  HS_CHECK(defined(), "data_ptr: tensor is undefined");
  return static_cast<char*>(storage_->data()) + offset_ * element_size(dtype_);
}

double Tensor::item() const {
  HS_CHECK(defined(), "item: tensor is undefined");
  HS_CHECK(numel() == 1, "item: tensor of shape ", sizes_, " has ", numel(),
           " elements, expected exactly 1");
  const Tensor host = is_cpu() ? *this : to(Device::cpu());
  return dispatch_dtype(dtype_, [&](auto zero) {
    using T = decltype(zero);
    return static_cast<double>(*static_cast<const T*>(host.data_ptr()));
  });
}

StridedRef Tensor::ref() const {
  StridedRef r;
  r.data = defined() ? data_ptr() : nullptr;
  r.dtype = dtype_;
  r.ndim = dim();
  for (int d = 0; d < dim(); ++d) {
    r.sizes[d] = sizes_[d];
    r.strides[d] = strides_[d];
  }
  return r;
}

// ---- views ----

namespace {

// Resolves a single -1 extent and checks the element count.
Shape infer_shape(const Shape& requested, std::int64_t numel, const char* op, const Shape& from) {
  Shape shape = requested;
  int infer = -1;
  std::int64_t known = 1;
  for (int i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      HS_CHECK(infer < 0, op, ": only one dim may be -1, got ", requested);
      infer = i;
    } else {
      HS_CHECK(shape[i] >= 0, op, ": invalid extent ", shape[i], " in ", requested);
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    HS_CHECK(known != 0 && numel % known == 0, op, ": cannot view ", from, " (", numel,
             " elements) as ", requested);
    shape[infer] = numel / known;
  }
  HS_CHECK(shape.numel() == numel, op, ": cannot view ", from, " (", numel, " elements) as ",
           requested, " (", shape.numel(), " elements)");
  return shape;
}

// Strides for viewing (sizes, strides) as new_sizes without copying, if possible:
// each run of old dims that is contiguous in memory may be split or merged freely.
bool view_strides(const Shape& sizes, const Shape& strides, const Shape& new_sizes,
                  Shape& new_strides) {
  new_strides = Shape::filled(new_sizes.size(), 1);
  if (sizes.numel() <= 1) {  // empty or one element: any strides address it
    new_strides = contiguous_strides(new_sizes);
    return true;
  }
  int new_d = new_sizes.size() - 1;
  std::int64_t chunk_base_stride = sizes.empty() ? 1 : strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (int d = sizes.size() - 1; d >= 0; --d) {
    tensor_numel *= sizes[d];
    // The run of old dims ends where the next older dim is not contiguous with this one.
    if (d == 0 || (sizes[d - 1] != 1 && strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (new_d >= 0 && (view_numel < tensor_numel || new_sizes[new_d] == 1)) {
        new_strides[new_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[new_d];
        --new_d;
      }
      if (view_numel != tensor_numel) return false;
      if (d > 0) {
        chunk_base_stride = strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  return new_d == -1;
}

}  // namespace

Tensor Tensor::view(const Shape& shape) const {
  const Shape new_sizes = infer_shape(shape, numel(), "view", sizes_);
  Shape new_strides;
  HS_CHECK(view_strides(sizes_, strides_, new_sizes, new_strides), "view: tensor of shape ", sizes_,
           " with strides ", strides_, " cannot be viewed as ", new_sizes,
           " without a copy; use reshape()");
  return Tensor(storage_, new_sizes, new_strides, offset_, dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  const Shape new_sizes = infer_shape(shape, numel(), "reshape", sizes_);
  Shape new_strides;
  if (view_strides(sizes_, strides_, new_sizes, new_strides))
    return Tensor(storage_, new_sizes, new_strides, offset_, dtype_);
  return contiguous().view(new_sizes);
}

Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  const int d = wrap_dim(dim, this->dim(), "narrow");
  HS_CHECK(start >= 0 && length >= 0 && start + length <= sizes_[d], "narrow: range [", start, ", ",
           start + length, ") is out of bounds for dim ", dim, " of size ", sizes_[d], " (shape ",
           sizes_, ")");
  Shape sizes = sizes_;
  sizes[d] = length;
  return Tensor(storage_, sizes, strides_, offset_ + start * strides_[d], dtype_);
}

std::vector<Tensor> Tensor::split(const std::vector<std::int64_t>& sizes, std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim(), "split");
  std::int64_t total = 0;
  for (std::int64_t s : sizes) {
    HS_CHECK(s >= 0, "split: negative size ", s);
    total += s;
  }
  HS_CHECK(total == sizes_[d], "split: sizes sum to ", total, " but dim ", dim, " has size ",
           sizes_[d], " (shape ", sizes_, ")");
  std::vector<Tensor> parts;
  parts.reserve(sizes.size());
  std::int64_t start = 0;
  for (std::int64_t s : sizes) {
    parts.push_back(narrow(d, start, s));
    start += s;
  }
  return parts;
}

std::vector<Tensor> Tensor::split(std::int64_t chunk, std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim(), "split");
  HS_CHECK(chunk > 0, "split: chunk size must be positive, got ", chunk);
  std::vector<std::int64_t> sizes;
  for (std::int64_t start = 0; start < sizes_[d]; start += chunk)
    sizes.push_back(std::min(chunk, sizes_[d] - start));
  return split(sizes, d);
}

Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const {
  const int a = wrap_dim(d0, dim(), "transpose");
  const int b = wrap_dim(d1, dim(), "transpose");
  Shape sizes = sizes_, strides = strides_;
  std::swap(sizes[a], sizes[b]);
  std::swap(strides[a], strides[b]);
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::permute(const std::vector<std::int64_t>& order) const {
  HS_CHECK(static_cast<int>(order.size()) == dim(), "permute: got ", order.size(),
           " dims for a tensor of shape ", sizes_);
  Shape sizes = sizes_, strides = strides_;
  bool seen[kMaxDims] = {};
  for (int i = 0; i < dim(); ++i) {
    const int src = wrap_dim(order[i], dim(), "permute");
    HS_CHECK(!seen[src], "permute: dim ", order[i], " appears twice");
    seen[src] = true;
    sizes[i] = sizes_[src];
    strides[i] = strides_[src];
  }
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::unsqueeze(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim() + 1, "unsqueeze");
  Shape sizes = sizes_, strides = strides_;
  const std::int64_t stride = d < this->dim() ? strides_[d] * sizes_[d] : 1;
  sizes.insert(d, 1);
  strides.insert(d, stride);
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::squeeze(std::int64_t dim) const {
  const int d = wrap_dim(dim, this->dim(), "squeeze");
  if (sizes_[d] != 1) return *this;
  Shape sizes = sizes_, strides = strides_;
  sizes.erase(d);
  strides.erase(d);
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::squeeze() const {
  Shape sizes, strides;
  for (int d = 0; d < dim(); ++d) {
    if (sizes_[d] == 1) continue;
    sizes.push_back(sizes_[d]);
    strides.push_back(strides_[d]);
  }
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::expand(const Shape& shape) const {
  HS_CHECK(shape.size() >= dim(), "expand: cannot expand ", sizes_, " to fewer dims ", shape);
  const int lead = shape.size() - dim();
  Shape sizes = shape, strides = Shape::filled(shape.size(), 0);
  for (int i = 0; i < shape.size(); ++i) {
    const int src = i - lead;
    if (src < 0) {
      HS_CHECK(shape[i] >= 0, "expand: new leading dim ", i, " cannot be ", shape[i]);
      continue;
    }
    if (shape[i] == -1 || shape[i] == sizes_[src]) {
      sizes[i] = sizes_[src];
      strides[i] = strides_[src];
    } else {
      HS_CHECK(sizes_[src] == 1, "expand: cannot expand ", sizes_, " to ", shape, " (dim ", i,
               " has size ", sizes_[src], ", not 1)");
    }
  }
  return Tensor(storage_, sizes, strides, offset_, dtype_);
}

Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const {
  if (dim() == 0) return reshape({1});
  const int s = wrap_dim(start_dim, dim(), "flatten");
  const int e = wrap_dim(end_dim, dim(), "flatten");
  HS_CHECK(s <= e, "flatten: start_dim ", start_dim, " is after end_dim ", end_dim);
  Shape shape;
  for (int d = 0; d < s; ++d) shape.push_back(sizes_[d]);
  std::int64_t merged = 1;
  for (int d = s; d <= e; ++d) merged *= sizes_[d];
  shape.push_back(merged);
  for (int d = e + 1; d < dim(); ++d) shape.push_back(sizes_[d]);
  return reshape(shape);
}

Tensor Tensor::as_strided(const Shape& sizes, const Shape& strides, std::int64_t offset) const {
  HS_CHECK(defined(), "as_strided: tensor is undefined");
  std::int64_t last = offset;
  for (int d = 0; d < sizes.size(); ++d)
    if (sizes[d] > 0) last += (sizes[d] - 1) * strides[d];
  HS_CHECK(offset >= 0 && (sizes.numel() == 0 ||
                           (last + 1) * static_cast<std::int64_t>(element_size(dtype_)) <=
                               static_cast<std::int64_t>(storage_->nbytes())),
           "as_strided: view ", sizes, " strides ", strides, " offset ", offset,
           " reaches outside its storage of ", storage_->nbytes(), " bytes");
  return Tensor(storage_, sizes, strides, offset, dtype_);
}

// ---- copies ----

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  HS_CHECK(defined(), "clone: tensor is undefined");
  Tensor out = empty(sizes_, {dtype_, device()});
  out.copy_(*this);
  return out;
}

Tensor Tensor::to(Device device) const {
  HS_CHECK(defined(), "to: tensor is undefined");
  if (device == this->device()) return *this;
  const Tensor src = contiguous();
  Tensor out = empty(sizes_, {dtype_, device});
  DeviceBackend& backend = backend_for(device.is_cpu() ? this->device() : device);
  backend.copy_bytes(out.data_ptr(), device, src.data_ptr(), this->device(), nbytes());
  return out;
}

Tensor Tensor::to(DType dtype) const {
  HS_CHECK(defined(), "to: tensor is undefined");
  if (dtype == dtype_) return *this;
  Tensor out = empty(sizes_, {dtype, device()});
  out.copy_(*this);
  return out;
}

Tensor& Tensor::copy_(const Tensor& src) {
  HS_CHECK(defined() && src.defined(), "copy_: undefined tensor");
  HS_CHECK(src.shape() == sizes_, "copy_: source shape ", src.shape(),
           " does not match destination shape ", sizes_);
  if (numel() == 0) return *this;
  Tensor source = src;
  if (src.device() != device()) {
    // Cross-device: move the bytes as they are, then convert on the destination device.
    source = src.contiguous().to(device());
  }
  backend_for(device()).copy_strided(ref(), source.ref());
  return *this;
}

Tensor& Tensor::fill_(double value) {
  HS_CHECK(defined(), "fill_: tensor is undefined");
  if (numel() > 0) backend_for(device()).fill(ref(), value);
  return *this;
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  const Tensor host = to(Device::cpu()).to(dtype_of<T>()).contiguous();
  const T* p = host.data<T>();
  return std::vector<T>(p, p + numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

}  // namespace hs
