#pragma once
// Storage: one allocation of bytes on one device. Tensors hold it through a shared_ptr,
// so views of a tensor share its Storage and the bytes live as long as any view does.
#include <cstddef>
#include <memory>

#include "core/device.h"

namespace hs {

class Storage {
 public:
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
  Device device_;
};

}  // namespace hs
