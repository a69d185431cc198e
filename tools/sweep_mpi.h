#pragma once
// Sharing a sweep's trials among MPI ranks (Debian's OpenMPI), when hsnet was built with
// MPI and started by mpirun; otherwise one rank of one. Rank 0 only coordinates: it sends
// trial indices to ranks as they become free, receives their rows and writes the results.
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

namespace hs::tools {

struct MpiWorld {
  int rank = 0, size = 1;
};

// MPI_Init when launched by mpirun and built with MPI; {0, 1} otherwise.
MpiWorld mpi_start();
void mpi_stop();

// Rank 0: hands out `pending` trial indices; `done(index, row)` is called for every row.
void mpi_coordinate(const std::vector<std::size_t>& pending,
                    const std::function<void(std::size_t, const nlohmann::json&)>& done);
// Ranks > 0: runs each trial index received with `run` until told to stop.
void mpi_serve(const std::function<nlohmann::json(std::size_t)>& run);

}  // namespace hs::tools
