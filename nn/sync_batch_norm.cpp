#include "nn/sync_batch_norm.h"

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "dist/all_reduce_function.h"
#include "nn/batch_norm.h"
#include "ops/elementwise.h"

namespace hs::nn {

Variable sync_batch_norm(const Variable& x, const Variable& gamma, const Variable& beta,
                         Tensor& running_mean, Tensor& running_var, double momentum, double eps,
                         dist::ProcessGroup& group) {
  HS_CHECK(x.dim() == 4, "sync_batch_norm: input must be [N,C,H,W], got ", x.shape());
  const std::int64_t c = x.size(1);
  HS_CHECK(gamma.numel() == c && beta.numel() == c, "sync_batch_norm: ", c, " channels but weight ",
           gamma.shape(), " and bias ", beta.shape());
  const double local_count = static_cast<double>(x.numel() / c);
  const Shape per_channel{1, c, 1, 1};
  // Two passes, as one process computes them: the mean over all ranks first, then the mean
  // squared deviation from it. E[x^2] - E[x]^2 in one pass would lose the variance of a
  // channel whose mean is large next to its spread to f32 cancellation.
  const Variable count(full({1}, local_count, TensorOptions(x.dtype(), x.device())));
  const Variable sums = dist::all_reduce_sum(cat({sum(x, {0, 2, 3}), count}, 0), group);
  const double m = narrow(sums, 0, c, 1).item();
  const Variable mean = narrow(sums, 0, 0, c) / m;
  const Variable centred = x - view(mean, per_channel);
  const Variable var = dist::all_reduce_sum(sum(centred * centred, {0, 2, 3}), group) / m;
  const Variable invstd = exp(log(var + eps) * -0.5);
  const Variable y = centred * view(invstd * gamma, per_channel) + view(beta, per_channel);
  {
    NoGradGuard no_grad;
    const Tensor unbiased = ops::mul(var.data(), m / std::max(1.0, m - 1));
    running_mean.copy_(
        ops::add(ops::mul(running_mean, 1 - momentum), ops::mul(mean.data(), momentum)));
    running_var.copy_(ops::add(ops::mul(running_var, 1 - momentum), ops::mul(unbiased, momentum)));
  }
  return y;
}

std::int64_t convert_sync_batch_norm(Module& module, dist::ProcessGroup& group) {
  std::int64_t changed = 0;
  if (auto* bn = dynamic_cast<BatchNorm2d*>(&module)) {
    bn->sync_group = &group;
    ++changed;
  }
  for (auto& [name, child] : module.named_children())
    changed += convert_sync_batch_norm(*child, group);
  return changed;
}

}  // namespace hs::nn
