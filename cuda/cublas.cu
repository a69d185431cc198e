#include <dlfcn.h>

#include <string>

#include "core/error.h"
#include "cuda/cublas.h"

namespace hs::cuda {
namespace {

#define HS_STRINGIFY_(x) #x
#define HS_STRINGIFY(x) HS_STRINGIFY_(x)

template <class Fn>
Fn lookup(void* library, const char* symbol) {
  dlerror();
  void* address = dlsym(library, symbol);
  const char* why = dlerror();
  HS_CHECK(why == nullptr && address != nullptr, "cuda: ", cublas_library_name(), " has no ",
           symbol, " (", why ? why : "null address", ")");
  return reinterpret_cast<Fn>(address);
}

CublasApi load() {
  // Never closed: the handle and the stream it is bound to live as long as the process.
  void* library = dlopen(cublas_library_name(), RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = dlerror();
    HS_FAIL("cuda: cannot load cuBLAS (", cublas_library_name(), "): ", why ? why : "unknown");
  }
  CublasApi api;
  api.create = lookup<decltype(api.create)>(library, "cublasCreate_v2");
  api.set_stream = lookup<decltype(api.set_stream)>(library, "cublasSetStream_v2");
  api.sgemm_strided_batched =
      lookup<decltype(api.sgemm_strided_batched)>(library, "cublasSgemmStridedBatched");
  api.dgemm_strided_batched =
      lookup<decltype(api.dgemm_strided_batched)>(library, "cublasDgemmStridedBatched");
  api.status_name = lookup<decltype(api.status_name)>(library, "cublasGetStatusName");
  api.status_string = lookup<decltype(api.status_string)>(library, "cublasGetStatusString");
  return api;
}

}  // namespace

const char* cublas_library_name() { return "libcublas.so." HS_STRINGIFY(CUBLAS_VER_MAJOR); }

const CublasApi& cublas() {
  static const CublasApi api = load();
  return api;
}

}  // namespace hs::cuda
