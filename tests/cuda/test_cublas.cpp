// cuBLAS is loaded on first use, not at start-up (cuda/cublas.h). Runs without a GPU: loading
// the library and reading its status names need no device.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "cuda/cublas.h"

namespace {

bool mapped(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream text;
  text << maps.rdbuf();
  return text.str().find(library) != std::string::npos;
}

}  // namespace

TEST_CASE("cuBLAS is mapped only once a product asks for it", "[cuda][cublas]") {
  const std::string name = hs::cuda::cublas_library_name();
  CHECK(name == "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR));
  // Nothing has multiplied on a GPU yet in this process: neither cuBLAS nor cuBLASLt (the
  // 200 MB of resident memory that linking them cost every process) is in memory.
  REQUIRE(!mapped("libcublas"));

  const hs::cuda::CublasApi& api = hs::cuda::cublas();
  CHECK(&api == &hs::cuda::cublas());  // loaded once
  CHECK(api.create != nullptr);
  CHECK(api.set_stream != nullptr);
  CHECK(api.sgemm_strided_batched != nullptr);
  CHECK(api.dgemm_strided_batched != nullptr);
  CHECK(mapped(name));
  CHECK(mapped("libcublasLt"));
  // The looked-up functions are cuBLAS's own: they name its status codes.
  CHECK(std::string(api.status_name(CUBLAS_STATUS_NOT_INITIALIZED)) ==
        "CUBLAS_STATUS_NOT_INITIALIZED");
  CHECK(std::string(api.status_string(CUBLAS_STATUS_SUCCESS)).size() > 0);
}
