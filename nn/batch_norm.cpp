#include "nn/batch_norm.h"

#include <sstream>

#include "autograd/batch_norm.h"
#include "autograd/functions.h"
#include "nn/sync_batch_norm.h"
#include "ops/elementwise.h"

namespace hs::nn {

BatchNorm2d::BatchNorm2d(std::int64_t num_features, double momentum, double eps, bool fuse_relu)
    : num_features_(num_features), momentum_(momentum), eps_(eps), fuse_relu_(fuse_relu) {
  HS_CHECK(num_features > 0, "BatchNorm2d: num_features must be positive, got ", num_features);
  weight = Variable(ones({num_features}));
  bias = Variable(zeros({num_features}));
  running_mean = zeros({num_features});
  running_var = ones({num_features});
  num_batches_tracked = zeros(Shape{}, DType::i64);
  register_parameter("weight", &weight);
  register_parameter("bias", &bias);
  register_buffer("running_mean", &running_mean);
  register_buffer("running_var", &running_var);
  register_buffer("num_batches_tracked", &num_batches_tracked);
}

void BatchNorm2d::count_batch() {
  if (!is_training()) return;
  // A 0-d i64 counter, like PyTorch's. On a GPU it is incremented there: a round trip
  // through the host would make every layer wait for the device on every step.
  if (num_batches_tracked.is_cpu())
    num_batches_tracked.data<std::int64_t>()[0] += 1;
  else
    num_batches_tracked.copy_(ops::binary(ops::BinaryOp::add, num_batches_tracked, 1.0));
}

Variable BatchNorm2d::forward(const Variable& x) {
  count_batch();
  if (sync_group != nullptr && is_training()) {
    const Variable y =
        sync_batch_norm(x, weight, bias, running_mean, running_var, momentum_, eps_, *sync_group);
    return fuse_relu_ ? relu(y) : y;
  }
  auto fn = fuse_relu_ ? batch_norm_relu : batch_norm;
  return fn(x, weight, bias, running_mean, running_var, is_training(), momentum_, eps_);
}

Variable BatchNorm2d::forward_add_relu(const Variable& x, const Variable& residual) {
  HS_CHECK(!fuse_relu_, "BatchNorm2d: forward_add_relu needs a layer built without fuse_relu");
  count_batch();
  if (sync_group != nullptr && is_training())
    return recorded_call(x, relu(sync_batch_norm(x, weight, bias, running_mean, running_var,
                                                 momentum_, eps_, *sync_group) +
                                 residual));
  return recorded_call(x, batch_norm_add_relu(x, residual, weight, bias, running_mean, running_var,
                                              is_training(), momentum_, eps_));
}

std::string BatchNorm2d::extra_repr() const {
  std::ostringstream os;
  os << num_features_ << ", eps=" << eps_ << ", momentum=" << momentum_;
  if (fuse_relu_) os << ", fused ReLU";
  return os.str();
}

}  // namespace hs::nn
