// The CUDA DeviceBackend: memory from the caching allocator, copies on the hsnet stream,
// and the strided copy-with-conversion and fill kernels the tensor core needs. It
// is installed by install_backend() when the library is loaded.
#include <cstdint>

#include "core/backend.h"
#include "cuda/allocator.h"
#include "cuda/backend.h"
#include "cuda/check.h"
#include "cuda/launch.h"
#include "cuda/stream.h"

namespace hs::cuda {
namespace {

template <class Dst, class Src>
__global__ void convert_contiguous_kernel(Dst* dst, const Src* src, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) dst[i] = static_cast<Dst>(src[i]);
}

template <class Dst, class Src>
__global__ void convert_strided_kernel(Dst* dst, const Src* src, ops::StridedIndexer<2> idx,
                                       std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[2];
    idx.offsets(i, off);
    dst[off[0]] = static_cast<Dst>(src[off[1]]);
  }
}

template <class T>
__global__ void fill_contiguous_kernel(T* dst, T value, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) dst[i] = value;
}

template <class T>
__global__ void fill_strided_kernel(T* dst, T value, ops::StridedIndexer<1> idx, std::int64_t n) {
  for (std::int64_t i = grid_start(); i < n; i += grid_step()) {
    std::int64_t off[1];
    idx.offsets(i, off);
    dst[off[0]] = value;
  }
}

cudaMemcpyKind copy_kind(Device dst, Device src) {
  if (src.is_cpu()) return cudaMemcpyHostToDevice;
  return dst.is_cpu() ? cudaMemcpyDeviceToHost : cudaMemcpyDeviceToDevice;
}

class CudaBackend final : public DeviceBackend {
 public:
  void* allocate(std::size_t nbytes) override { return cuda::allocate(nbytes); }

  void deallocate(void* ptr, std::size_t) override { cuda::deallocate(ptr); }

  // Host-to-device copies return once the (pageable) source has been staged, so the
  // caller may reuse it; device-to-host copies wait for the data to arrive.
  void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                  std::size_t nbytes) override {
    if (nbytes == 0) return;
    HS_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, copy_kind(dst_device, src_device), stream()));
    if (dst_device.is_cpu()) synchronize();
  }

  void copy_strided(const StridedRef& dst, const StridedRef& src) override {
    const std::int64_t n = numel(dst);
    if (n == 0) return;
    const auto idx = coalesced_indexer<2>({dst, src});
    if (dst.dtype == src.dtype && all_contiguous(idx)) {
      HS_CUDA_CHECK(cudaMemcpyAsync(dst.data, src.data, n * element_size(dst.dtype),
                                    cudaMemcpyDeviceToDevice, stream()));
      return;
    }
    dispatch_dtype(dst.dtype, [&](auto dst_tag) {
      dispatch_dtype(src.dtype, [&](auto src_tag) {
        using Dst = decltype(dst_tag);
        using Src = decltype(src_tag);
        auto* d = static_cast<Dst*>(dst.data);
        const auto* s = static_cast<const Src*>(src.data);
        if (all_contiguous(idx)) {
          convert_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, s, n);
        } else {
          convert_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, s, idx, n);
        }
      });
    });
    HS_CUDA_CHECK(cudaGetLastError());
  }

  void fill(const StridedRef& dst, double value) override {
    const std::int64_t n = numel(dst);
    if (n == 0) return;
    const auto idx = coalesced_indexer<1>({dst});
    dispatch_dtype(dst.dtype, [&](auto tag) {
      using T = decltype(tag);
      auto* d = static_cast<T*>(dst.data);
      const T v = static_cast<T>(value);
      if (all_contiguous(idx)) {
        fill_contiguous_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, v, n);
      } else {
        fill_strided_kernel<<<grid_size(n), kBlockSize, 0, stream()>>>(d, v, idx, n);
      }
    });
    HS_CUDA_CHECK(cudaGetLastError());
  }

  void synchronize() override { cuda::synchronize(); }
};

}  // namespace

// Called once at load time (ops/device_init.cpp), before main: it must not throw, so a
// machine without a GPU (or without a driver) simply reports zero devices.
void install_backend() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    count = 0;
  }
  // Never destroyed: tensors freed during static destruction still call it.
  static CudaBackend* const backend = new CudaBackend;
  set_cuda_device_count(count);
  register_backend(DeviceType::CUDA, backend);
}

}  // namespace hs::cuda
