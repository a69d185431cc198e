#pragma once
// cuBLAS, loaded when the first GPU product needs it rather than when hsnet starts.
// Linking libcublas made every hsnet process of a CUDA build map and relocate
// libcublasLt (about 210 MB of resident memory and 0.16 s at start-up, measured on a
// machine without a GPU) even when it only ever ran on the CPU. The few entry points hsnet
// calls are looked up once, by their exported names, in the library of the toolkit hsnet was
// compiled against (libcublas.so.<CUBLAS_VER_MAJOR>, found through the executable's run
// path or the system's library search).
#include <cublas_v2.h>

namespace hs::cuda {

struct CublasApi {
  decltype(&::cublasCreate_v2) create;
  decltype(&::cublasSetStream_v2) set_stream;
  decltype(&::cublasSgemmStridedBatched) sgemm_strided_batched;
  decltype(&::cublasDgemmStridedBatched) dgemm_strided_batched;
  decltype(&::cublasGetStatusName) status_name;
  decltype(&::cublasGetStatusString) status_string;
};

// The library's name as dlopen is given it, e.g. "libcublas.so.13".
const char* cublas_library_name();

// Loads cuBLAS on the first call (an hs::Error naming the library and dlerror's reason when
// it or one of the entry points is missing) and returns the same table afterwards.
const CublasApi& cublas();

}  // namespace hs::cuda
