#include "tools/distributed.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "core/error.h"
#include "dist/mpi_group.h"
#include "dist/nccl_group.h"

namespace hs::tools {

std::unique_ptr<dist::ProcessGroup> make_group(bool distributed, Device device) {
  if (!distributed) return dist::single_process_group();
  if (device.is_cuda()) return dist::nccl_group(dist::mpi_group());
  return dist::mpi_group();
}

void broadcast_module_state(nn::Module& module, dist::ProcessGroup& group) {
  if (group.size() == 1) return;
  for (auto& [name, p] : module.named_parameters()) {
    Tensor data = p.data();
    group.broadcast(data, 0);
  }
  for (auto& [name, b] : module.named_buffers()) group.broadcast(b, 0);
}

StepTotals agree_on_step(dist::ProcessGroup& group, double loss, std::int64_t correct,
                         std::int64_t seen, bool stop) {
  const bool finite = std::isfinite(loss);
  Tensor t = zeros({5}, DType::f64);
  double* v = t.data<double>();
  v[0] = finite ? loss * static_cast<double>(seen) : 0.0;
  v[1] = static_cast<double>(correct);
  v[2] = static_cast<double>(seen);
  v[3] = finite ? 0.0 : 1.0;
  v[4] = stop ? 1.0 : 0.0;
  group.allreduce_sum(t);
  return {v[0], std::llround(v[1]), std::llround(v[2]), v[3] > 0, v[4] > 0};
}

int run_on_ranks(dist::ProcessGroup& group, const std::function<int()>& body) {
  if (group.size() == 1) return body();
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: rank %d of %d: %s; stopping all ranks\n", group.rank(),
                 group.size(), e.what());
    std::fflush(stderr);
    group.abort(1);
  }
  return 1;  // not reached (abort ends the process); GCC does not follow [[noreturn]] here
}

void fail_here_for_tests(int rank, std::int64_t global_step) {
  const char* spec = std::getenv("HSNET_TEST_FAIL_AT");
  if (spec == nullptr) return;
  int fail_rank = -1;
  long long fail_step = -1;
  if (std::sscanf(spec, "%d:%lld", &fail_rank, &fail_step) != 2) return;
  HS_CHECK(!(rank == fail_rank && global_step == fail_step), "HSNET_TEST_FAIL_AT: rank ", rank,
           " fails at step ", global_step, " as the test asked");
}

}  // namespace hs::tools
