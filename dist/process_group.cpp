#include "dist/process_group.h"

#include <cstdlib>

#include "core/error.h"

namespace hs::dist {

namespace {

class Done : public Work {
 public:
  void wait() override {}
  bool test() override { return true; }
};

class SingleProcessGroup : public ProcessGroup {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "single"; }
  std::unique_ptr<Work> allreduce_sum_async(Tensor& t) override {
    check_collective_tensor(t, "allreduce", true);
    return std::make_unique<Done>();
  }
  void broadcast(Tensor& t, int root) override {
    check_collective_tensor(t, "broadcast", false);
    HS_CHECK(root == 0, "broadcast: root ", root, " is not a rank of a group of one");
  }
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
};

}  // namespace

std::unique_ptr<ProcessGroup> single_process_group() {
  return std::make_unique<SingleProcessGroup>();
}

void check_collective_tensor(const Tensor& t, const char* op, bool floating_only) {
  HS_CHECK(t.defined(), op, ": the tensor is undefined");
  HS_CHECK(t.is_contiguous(), op, ": the tensor of shape ", t.shape(), " is not contiguous");
  HS_CHECK(!floating_only || t.dtype() == DType::f32 || t.dtype() == DType::f64, op,
           ": only f32 and f64 tensors can be summed, got ", dtype_name(t.dtype()), " of shape ",
           t.shape());
}

}  // namespace hs::dist
