#include "nn/batch_norm.h"

#include <cmath>
#include <sstream>

#include "autograd/batch_norm.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
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

void BatchNorm2d::check_no_gradient(const Variable& x) const {
  HS_CHECK(!(grad_enabled() && x.requires_grad()),
           "BatchNorm2d: folded into its convolution, which is for inference only: run the "
           "model under NoGradGuard (no backward through a folded model)");
}

Variable BatchNorm2d::forward(const Variable& x) {
  if (folded_into_conv_) {
    check_no_gradient(x);
    return x;  // the convolution applies the ReLU too (Conv2d::apply_output_relu)
  }
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
  if (folded_into_conv_) check_no_gradient(x);
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
  if (folded_into_conv_) os << ", folded into the convolution";
  return os.str();
}

void BatchNorm2d::fold_into(Conv2d& conv) {
  HS_CHECK(!is_training(),
           "BatchNorm2d: folding needs eval mode (it folds the running "
           "statistics); call eval() first");
  HS_CHECK(!folded_into_conv_, "BatchNorm2d: already folded into its convolution");
  HS_CHECK(conv.options().out_channels == num_features_, "BatchNorm2d: cannot fold ", num_features_,
           " channels into a convolution with ", conv.options().out_channels, " output channels");
  auto host = [](const Tensor& t) { return t.to(Device::cpu()).to(DType::f64).contiguous(); };
  const Tensor gamma = host(weight.data()), beta = host(bias.data());
  const Tensor mean = host(running_mean), var = host(running_var);
  Tensor scale = empty({num_features_}, DType::f64), shift = empty({num_features_}, DType::f64);
  for (std::int64_t c = 0; c < num_features_; ++c) {
    const double a = gamma.data<double>()[c] / std::sqrt(var.data<double>()[c] + eps_);
    scale.data<double>()[c] = a;
    shift.data<double>()[c] = beta.data<double>()[c] - mean.data<double>()[c] * a;
  }
  conv.scale_output(scale, shift);
  if (fuse_relu_) conv.apply_output_relu();
  // New tensors rather than writes in place: a state dict taken before folding keeps the
  // unfolded values.
  const TensorOptions same(running_mean.dtype(), running_mean.device());
  weight = Variable(ones({num_features_}, same), true);
  bias = Variable(zeros({num_features_}, same), true);
  running_mean = zeros({num_features_}, same);
  running_var = ones({num_features_}, same);
  eps_ = 0.0;
  folded_into_conv_ = true;
}

void fold_each_into(const Sequential& bns, const Sequential& convs) {
  HS_CHECK(bns.size() == convs.size(), "fold_each_into: ", bns.size(), " batch norms for ",
           convs.size(), " convolutions");
  for (std::size_t i = 0; i < bns.size(); ++i)
    bns.at<BatchNorm2d>(i).fold_into(convs.at<Conv2d>(i));
}

}  // namespace hs::nn
