#include "dist/mpi_group.h"

#include <cstdlib>

#include "core/error.h"

#if HSNET_HAVE_MPI
#include <mpi.h>
#endif

namespace hs::dist {

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

#if HSNET_HAVE_MPI

namespace {

int live_groups = 0;

MPI_Datatype mpi_type(DType t) {
  switch (t) {
    case DType::f32:
      return MPI_FLOAT;
    case DType::f64:
      return MPI_DOUBLE;
    case DType::i64:
      return MPI_INT64_T;
  }
  HS_FAIL("mpi: unknown dtype");
}

int mpi_count(const Tensor& t, const char* op) {
  HS_CHECK(t.device().is_cpu(), op, ": the MPI group reduces CPU tensors, got one on ", t.device(),
           " (CUDA tensors go through the NCCL group)");
  HS_CHECK(t.numel() <= 0x7fffffff, op, ": ", t.numel(), " elements exceed MPI's int count");
  return static_cast<int>(t.numel());
}

class MpiWork : public Work {
 public:
  MPI_Request request = MPI_REQUEST_NULL;
  void wait() override { MPI_Wait(&request, MPI_STATUS_IGNORE); }
  bool test() override {
    int done = 0;
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    return done != 0;
  }
};

class MpiGroup : public ProcessGroup {
 public:
  MpiGroup() {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) MPI_Init(nullptr, nullptr);
    ++live_groups;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiGroup() override {
    if (--live_groups == 0) MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }

  std::unique_ptr<Work> allreduce_sum_async(Tensor& t) override {
    check_collective_tensor(t, "allreduce", true);
    const int count = mpi_count(t, "allreduce");
    auto work = std::make_unique<MpiWork>();
    MPI_Iallreduce(MPI_IN_PLACE, t.data_ptr(), count, mpi_type(t.dtype()), MPI_SUM, MPI_COMM_WORLD,
                   &work->request);
    return work;
  }
  void broadcast(Tensor& t, int root) override {
    check_collective_tensor(t, "broadcast", false);
    HS_CHECK(root >= 0 && root < size_, "broadcast: root ", root, " is not a rank of ", size_);
    MPI_Bcast(t.data_ptr(), mpi_count(t, "broadcast"), mpi_type(t.dtype()), root, MPI_COMM_WORLD);
  }
  void barrier() override { MPI_Barrier(MPI_COMM_WORLD); }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
  }

 private:
  int rank_ = 0, size_ = 1;
};

}  // namespace

bool have_mpi() { return true; }
std::unique_ptr<ProcessGroup> mpi_group() { return std::make_unique<MpiGroup>(); }

#else

bool have_mpi() { return false; }
std::unique_ptr<ProcessGroup> mpi_group() {
  HS_FAIL(
      "--distributed: hsnet was built without MPI (install libopenmpi-dev, e.g. with "
      "scripts/setup.sh, and reconfigure the build)");
}

#endif

}  // namespace hs::dist
