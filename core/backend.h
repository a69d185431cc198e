#pragma once
// DeviceBackend: what the tensor core needs from a device — memory, copies, and the two
// strided kernels (copy-with-conversion and fill) that make views, to(), contiguous() and
// the factories work on it. The CPU backend is built in; the CUDA one registers itself
// when the library is built with CUDA (cuda/backend.cu). The core knows nothing else of
// devices.
#include <cstddef>
#include <cstdint>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"

namespace hs {

// A plain description of a strided tensor, suitable for passing to a kernel.
struct StridedRef {
  void* data = nullptr;  // address of element [0, 0, ...]
  DType dtype = DType::f32;
  int ndim = 0;
  std::int64_t sizes[kMaxDims] = {};
  std::int64_t strides[kMaxDims] = {};
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  virtual void* allocate(std::size_t nbytes) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes) = 0;
  // Copies raw bytes; at least one side lives on this backend's device.
  virtual void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                          std::size_t nbytes) = 0;
  // dst[i] = convert(src[i]) over dst's shape; both on this device, same shape.
  virtual void copy_strided(const StridedRef& dst, const StridedRef& src) = 0;
  // dst[i] = value over dst's shape.
  virtual void fill(const StridedRef& dst, double value) = 0;
  virtual void synchronize() = 0;
};

void register_backend(DeviceType type, DeviceBackend* backend);

// The backend for `device`; an hs::Error when the build or the machine lacks it.
DeviceBackend& backend_for(Device device);

// True when a CUDA backend is registered and at least one GPU is present.
bool cuda_available();

// Set by the CUDA backend at registration: whether a GPU was found.
void set_cuda_device_count(int count);
int cuda_device_count();

}  // namespace hs
