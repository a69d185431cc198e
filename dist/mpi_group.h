#pragma once
// The process group of the ranks `mpirun` started (MPI_COMM_WORLD of Debian's OpenMPI), for
// CPU tensors. MPI is initialised by the first call and finalised when the last group from
// it is destroyed. Built without MPI, mpi_group() is an hs::Error saying so.
#include <memory>

#include "dist/process_group.h"

namespace hs::dist {

// True when hsnet was built with MPI.
bool have_mpi();
// True when this process was started by mpirun (its environment says so).
bool launched_by_mpirun();
std::unique_ptr<ProcessGroup> mpi_group();

}  // namespace hs::dist
