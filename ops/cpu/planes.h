#pragma once
// A 4-D CPU tensor read as a batch of [C, H*W] matrices, for the convolution's loops. Views
// whose H*W planes are dense (channel slices of a bigger tensor, e.g. the pieces of an
// HS-block split) are read in place with their own image and channel strides; anything else
// is copied once.
#include <cstdint>

#include "core/tensor.h"
#include "ops/dispatch.h"

namespace hs::ops::detail {

template <class T>
struct Planes {
  Tensor keep;  // holds the storage alive
  const T* data = nullptr;
  std::int64_t image_stride = 0, channel_stride = 0;

  const T* image(std::int64_t n) const { return data + n * image_stride; }
};

template <class T>
Planes<T> as_planes(const Tensor& t) {
  const bool dense_channels = t.size(1) <= 1 || t.stride(1) >= t.size(2) * t.size(3);
  Planes<T> p;
  p.keep = detail::has_dense_planes(t) && dense_channels ? t : t.contiguous();
  p.data = p.keep.template data<T>();
  p.image_stride = p.keep.stride(0);
  p.channel_stride = p.keep.size(1) <= 1 ? p.keep.size(2) * p.keep.size(3) : p.keep.stride(1);
  return p;
}

}  // namespace hs::ops::detail
