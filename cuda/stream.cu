#include "cuda/check.h"
#include "cuda/cublas.h"
#include "cuda/stream.h"

namespace hs::cuda {

// Both objects are deliberately never destroyed: tensors freed during static destruction
// may still issue work, and the driver releases everything at process exit.
cudaStream_t stream() {
  static const cudaStream_t created = [] {
    cudaStream_t s = nullptr;
    HS_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    return s;
  }();
  return created;
}

cublasHandle_t cublas_handle() {
  static const cublasHandle_t created = [] {
    cublasHandle_t h = nullptr;
    HS_CUBLAS_CHECK(cublas().create(&h));
    HS_CUBLAS_CHECK(cublas().set_stream(h, stream()));
    return h;
  }();
  return created;
}

void synchronize() { HS_CUDA_CHECK(cudaStreamSynchronize(stream())); }

}  // namespace hs::cuda
