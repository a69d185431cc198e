// hsnet sweep under `mpirun -np 3` (rank 0 hands out the trials, ranks 1 and 2 train them)
// gives the rows of a one-process sweep with the same seeds and threads. Skipped (exit 77)
// where mpirun is absent or hsnet was built without MPI.
#include <catch2/catch.hpp>

#include "cli_test_util.h"
#include "mpi_test_util.h"
#include "sweep_test_util.h"
#include "tools/sweep.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("sweep: an MPI run equals the one-process run") {
  skip_without_mpirun();
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  const fs::path spec =
      write_spec(tmp.path(), tmp / "data",
                 {{"model_options.s", {2, 3}}, {"model_options.ratio", {0.25, 0.5}}});
  tools::SweepOptions o;
  o.spec_path = spec.string();
  o.out = (tmp / "one").string();
  o.threads = 1;
  REQUIRE(tools::run_sweep(o) == 0);
  const auto [status, output] = run_hsnet(
      "sweep --config " + spec.string() + " --out " + (tmp / "mpi").string() + " --threads 1",
      mpirun_prefix(3));
  INFO(output);
  REQUIRE(status == 0);
  const auto mpi_rows = rows_without_timing(tmp / "mpi"),
             one_rows = rows_without_timing(tmp / "one");
  REQUIRE(mpi_rows.size() == 4);
  CHECK(mpi_rows == one_rows);
}
