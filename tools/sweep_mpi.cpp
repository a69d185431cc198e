#include "tools/sweep_mpi.h"

#include <cstdlib>
#include <string>

#include "core/error.h"

#if HSNET_HAVE_MPI
#include <mpi.h>
#endif

namespace hs::tools {

#if HSNET_HAVE_MPI

namespace {

constexpr int kTagTrial = 1, kTagRow = 2;
constexpr long kNoMore = -1;
bool started = false;

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

}  // namespace

MpiWorld mpi_start() {
  MpiWorld w;
  if (!launched_by_mpirun()) return w;
  MPI_Init(nullptr, nullptr);
  started = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  return w;
}

void mpi_stop() {
  if (started) MPI_Finalize();
  started = false;
}

void mpi_coordinate(const std::vector<std::size_t>& pending,
                    const std::function<void(std::size_t, const nlohmann::json&)>& done) {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::size_t next = 0;
  int busy = 0;
  for (int r = 1; r < size; ++r) {
    long index = next < pending.size() ? static_cast<long>(pending[next++]) : kNoMore;
    MPI_Send(&index, 1, MPI_LONG, r, kTagTrial, MPI_COMM_WORLD);
    if (index != kNoMore) ++busy;
  }
  while (busy > 0) {
    MPI_Status status;
    MPI_Probe(MPI_ANY_SOURCE, kTagRow, MPI_COMM_WORLD, &status);
    int length = 0;
    MPI_Get_count(&status, MPI_CHAR, &length);
    std::string text(static_cast<std::size_t>(length), '\0');
    MPI_Recv(text.data(), length, MPI_CHAR, status.MPI_SOURCE, kTagRow, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    --busy;
    const nlohmann::json message = nlohmann::json::parse(text);
    done(message["index"].get<std::size_t>(), message["row"]);
    long index = next < pending.size() ? static_cast<long>(pending[next++]) : kNoMore;
    MPI_Send(&index, 1, MPI_LONG, status.MPI_SOURCE, kTagTrial, MPI_COMM_WORLD);
    if (index != kNoMore) ++busy;
  }
}

void mpi_serve(const std::function<nlohmann::json(std::size_t)>& run) {
  for (;;) {
    long index = kNoMore;
    MPI_Recv(&index, 1, MPI_LONG, 0, kTagTrial, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (index == kNoMore) return;
    const nlohmann::json message = {{"index", index},
                                    {"row", run(static_cast<std::size_t>(index))}};
    const std::string text = message.dump();
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, kTagRow, MPI_COMM_WORLD);
  }
}

#else

MpiWorld mpi_start() { return {}; }
void mpi_stop() {}
void mpi_coordinate(const std::vector<std::size_t>&,
                    const std::function<void(std::size_t, const nlohmann::json&)>&) {
  HS_FAIL("sweep: hsnet was built without MPI");
}
void mpi_serve(const std::function<nlohmann::json(std::size_t)>&) {
  HS_FAIL("sweep: hsnet was built without MPI");
}

#endif

}  // namespace hs::tools
