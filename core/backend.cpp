#include "core/backend.h"

#include <omp.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/merged_dims.h"

namespace hs {

namespace {

// dst's dims merged over the operands' strides (core/merged_dims.h), so most copies become a
// few long rows; at least one dim (of size 1 when dst has one element).
template <int N>
MergedDims<N> coalesce(const StridedRef& dst, const std::int64_t* const (&strides)[N]) {
  MergedDims<N> m;
  for (int d = 0; d < dst.ndim; ++d) m.push(dst.sizes[d], [&](int k) { return strides[k][d]; });
  if (m.ndim == 0) {
    m.ndim = 1;
    m.sizes[0] = 1;
    for (int k = 0; k < N; ++k) m.strides[k][0] = 1;
  }
  return m;
}

template <class D, class S>
void copy_rows(D* dst, const S* src, int ndim, const std::int64_t* sizes,
               const std::int64_t (*strides)[kMaxDims]) {
  const std::int64_t inner = sizes[ndim - 1];
  const std::int64_t ds = strides[0][ndim - 1], ss = strides[1][ndim - 1];
  std::int64_t rows = 1;
  for (int d = 0; d < ndim - 1; ++d) rows *= sizes[d];
#pragma omp parallel for schedule(static) if (rows * inner > 65536)
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t rem = r, doff = 0, soff = 0;
    for (int d = ndim - 2; d >= 0; --d) {
      const std::int64_t i = rem % sizes[d];
      rem /= sizes[d];
      doff += i * strides[0][d];
      soff += i * strides[1][d];
    }
    D* drow = dst + doff;
    const S* srow = src + soff;
    if constexpr (std::is_same_v<D, S>) {
      if (ds == 1 && ss == 1) {
        std::memcpy(drow, srow, inner * sizeof(D));
        continue;
      }
    }
    for (std::int64_t i = 0; i < inner; ++i) drow[i * ds] = static_cast<D>(srow[i * ss]);
  }
}

// Host memory. Blocks of 64 KiB and more are kept for reuse after they are freed: a
// training step allocates the same large activations every time, and fresh pages from the
// OS cost a page fault each (about 8 ms per 4 MB here), which would otherwise dominate.
class CpuBackend final : public DeviceBackend {
 public:
  void* allocate(std::size_t nbytes) override {
    const std::size_t size = rounded(nbytes);
    if (size >= kCacheFrom) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = cache_.find(size);
      if (it != cache_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= size;
        return p;
      }
    }
    // 64-byte alignment suits AVX-512 loads and keeps cache lines unshared.
    void* p = std::aligned_alloc(64, size);
    if (p == nullptr && size >= kCacheFrom) {
      release_cache();
      p = std::aligned_alloc(64, size);
    }
    HS_CHECK(p != nullptr, "cpu: out of memory allocating ", nbytes, " bytes");
    return p;
  }
  void deallocate(void* ptr, std::size_t nbytes) override {
    const std::size_t size = rounded(nbytes);
    if (size >= kCacheFrom) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (cached_bytes_ + size <= kCacheLimit) {
        cache_[size].push_back(ptr);
        cached_bytes_ += size;
        return;
      }
    }
    std::free(ptr);
  }
  void copy_bytes(void* dst, Device, const void* src, Device, std::size_t nbytes) override {
    if (nbytes) std::memcpy(dst, src, nbytes);
  }
  void copy_strided(const StridedRef& dst, const StridedRef& src) override {
    const std::int64_t* in_strides[2] = {dst.strides, src.strides};
    const MergedDims<2> m = coalesce(dst, in_strides);
    dispatch_dtype(dst.dtype, [&](auto d) {
      using D = decltype(d);
      dispatch_dtype(src.dtype, [&](auto s) {
        using S = decltype(s);
        copy_rows(static_cast<D*>(dst.data), static_cast<const S*>(src.data), m.ndim, m.sizes,
                  m.strides);
      });
    });
  }
  void fill(const StridedRef& dst, double value) override {
    const std::int64_t* in_strides[1] = {dst.strides};
    const MergedDims<1> m = coalesce(dst, in_strides);
    const int n = m.ndim;
    const auto& sizes = m.sizes;
    const auto& strides = m.strides;
    std::int64_t total = 1;
    for (int d = 0; d < n; ++d) total *= sizes[d];
    dispatch_dtype(dst.dtype, [&](auto zero) {
      using T = decltype(zero);
      T* p = static_cast<T*>(dst.data);
      const T v = static_cast<T>(value);
      if (n == 1 && strides[0][0] == 1) {
#pragma omp parallel for schedule(static) if (total > 65536)
        for (std::int64_t i = 0; i < total; ++i) p[i] = v;
        return;
      }
      for (std::int64_t i = 0; i < total; ++i) {
        std::int64_t rem = i, off = 0;
        for (int d = n - 1; d >= 0; --d) {
          off += (rem % sizes[d]) * strides[0][d];
          rem /= sizes[d];
        }
        p[off] = v;
      }
    });
  }
  void synchronize() override {}

 private:
  static constexpr std::size_t kCacheFrom = 64 << 10;
  static constexpr std::size_t kCacheLimit = std::size_t{4} << 30;
  static std::size_t rounded(std::size_t nbytes) {
    const std::size_t align = nbytes >= kCacheFrom ? 4096 : 64;
    return nbytes == 0 ? 64 : (nbytes + align - 1) / align * align;
  }
  void release_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, blocks] : cache_)
      for (void* p : blocks) std::free(p);
    cache_.clear();
    cached_bytes_ = 0;
  }

  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> cache_;
  std::size_t cached_bytes_ = 0;
};

// Never destroyed: tensors may still be freed during static destruction.
CpuBackend& cpu_backend() {
  static CpuBackend* backend = new CpuBackend;
  return *backend;
}
DeviceBackend* cuda_backend = nullptr;
int cuda_devices = 0;

}  // namespace

void register_backend(DeviceType type, DeviceBackend* backend) {
  if (type == DeviceType::CUDA) cuda_backend = backend;
}

DeviceBackend& backend_for(Device device) {
  if (device.is_cpu()) return cpu_backend();
  HS_CHECK(cuda_backend != nullptr, "device ", device,
           ": this build of hsnet has no CUDA support (rebuild with nvcc and -Dcuda=enabled)");
  HS_CHECK(cuda_devices > 0, "device ", device, ": no CUDA GPU is present on this machine");
  HS_CHECK(device.index < cuda_devices, "device ", device, ": only ", cuda_devices,
           " CUDA device(s) present");
  return *cuda_backend;
}

bool cuda_available() { return cuda_backend != nullptr && cuda_devices > 0; }
void set_cuda_device_count(int count) { cuda_devices = count; }
int cuda_device_count() { return cuda_devices; }

}  // namespace hs
