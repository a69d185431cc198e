#include "dist/nccl_group.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/error.h"

#if HSNET_HAVE_NCCL
#include <cuda_runtime_api.h>
#include <nccl.h>

#include "cuda/stream.h"
#endif

namespace hs::dist {

#if HSNET_HAVE_NCCL

namespace {

void check(ncclResult_t r, const char* what) {
  HS_CHECK(r == ncclSuccess, "nccl: ", what, " failed: ", ncclGetErrorString(r));
}

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::f32:
      return ncclFloat32;
    case DType::f64:
      return ncclFloat64;
    case DType::i64:
      return ncclInt64;
  }
  HS_FAIL("nccl: unknown dtype");
}

void check_on_gpu(const Tensor& t, const char* op) {
  HS_CHECK(t.device().is_cuda(), op, ": the NCCL group reduces CUDA tensors, got one on ",
           t.device());
}

// Stream order is the completion: later work on hsnet's stream sees the result.
class Ordered : public Work {
 public:
  void wait() override {}
  bool test() override { return true; }
};

int local_rank() {
  const char* r = std::getenv("OMPI_COMM_WORLD_LOCAL_RANK");
  return r != nullptr ? std::atoi(r) : 0;
}

class NcclGroup : public ProcessGroup {
 public:
  explicit NcclGroup(std::unique_ptr<ProcessGroup> owned)
      : bootstrap_(*owned), owned_(std::move(owned)) {
    ProcessGroup& bootstrap = bootstrap_;
    int gpus = 0;
    HS_CHECK(cudaGetDeviceCount(&gpus) == cudaSuccess && gpus > 0,
             "nccl: no CUDA GPU on this machine for rank ", bootstrap.rank());
    HS_CHECK(cudaSetDevice(local_rank() % gpus) == cudaSuccess, "nccl: cannot select GPU ",
             local_rank() % gpus);
    ncclUniqueId id;
    if (bootstrap.rank() == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    Tensor bytes = zeros({static_cast<std::int64_t>((sizeof id + 7) / 8)}, DType::i64);
    std::memcpy(bytes.data_ptr(), &id, sizeof id);
    bootstrap.broadcast(bytes, 0);
    std::memcpy(&id, bytes.data_ptr(), sizeof id);
    check(ncclCommInitRank(&comm_, bootstrap.size(), id, bootstrap.rank()), "ncclCommInitRank");
  }
  ~NcclGroup() override { ncclCommDestroy(comm_); }
  int rank() const override { return bootstrap_.rank(); }
  int size() const override { return bootstrap_.size(); }
  std::string backend() const override { return "nccl"; }

  std::unique_ptr<Work> allreduce_sum_async(Tensor& t) override {
    check_collective_tensor(t, "allreduce", true);
    check_on_gpu(t, "allreduce");
    check(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<std::size_t>(t.numel()),
                        nccl_type(t.dtype()), ncclSum, comm_, cuda::stream()),
          "ncclAllReduce");
    return std::make_unique<Ordered>();
  }
  void broadcast(Tensor& t, int root) override {
    check_collective_tensor(t, "broadcast", false);
    check_on_gpu(t, "broadcast");
    check(ncclBroadcast(t.data_ptr(), t.data_ptr(), t.nbytes(), ncclChar, root, comm_,
                        cuda::stream()),
          "ncclBroadcast");
  }
  void barrier() override {
    cuda::synchronize();
    bootstrap_.barrier();
  }
  [[noreturn]] void abort(int code) override {
    ncclCommAbort(comm_);
    bootstrap_.abort(code);
  }

 private:
  ProcessGroup& bootstrap_;
  std::unique_ptr<ProcessGroup> owned_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

bool have_nccl() { return true; }
std::unique_ptr<ProcessGroup> nccl_group(std::unique_ptr<ProcessGroup> bootstrap) {
  return std::make_unique<NcclGroup>(std::move(bootstrap));
}

#else

bool have_nccl() { return false; }
std::unique_ptr<ProcessGroup> nccl_group(std::unique_ptr<ProcessGroup>) {
  HS_FAIL(
      "--distributed --device cuda: hsnet was built without NCCL (a CUDA build finds it in the "
      "toolkit, next to cuBLAS)");
}

#endif

}  // namespace hs::dist
