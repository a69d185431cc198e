#include "dist/reducer.h"

#include <chrono>

#include "core/error.h"
#include "ops/elementwise.h"

namespace hs::dist {

Reducer::Reducer(std::vector<Variable> params, ProcessGroup& group, std::int64_t bucket_bytes)
    : params_(std::move(params)), group_(group) {
  HS_CHECK(bucket_bytes > 0, "Reducer: bucket size must be > 0 bytes, got ", bucket_bytes);
  bucket_of_.resize(params_.size());
  copied_.assign(params_.size(), false);
  std::int64_t bytes = 0;
  for (std::size_t k = params_.size(); k-- > 0;) {
    const Variable& p = params_[k];
    HS_CHECK(p.is_leaf() && p.requires_grad(), "Reducer: parameter ", k,
             " is not a leaf that requires grad");
    const Tensor& d = p.data();
    // A bucket holds one dtype on one device; a full bucket starts the next.
    const bool fits = !buckets_.empty() && buckets_.back().flat.dtype() == d.dtype() &&
                      buckets_.back().flat.device() == d.device() &&
                      bytes + static_cast<std::int64_t>(d.nbytes()) <= bucket_bytes;
    if (!fits) {
      buckets_.emplace_back();
      buckets_.back().flat = empty({0}, TensorOptions(d.dtype(), d.device()));
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    b.params.push_back(k);
    b.offsets.push_back(bytes / static_cast<std::int64_t>(element_size(d.dtype())));
    bytes += static_cast<std::int64_t>(d.nbytes());
    bucket_of_[k] = buckets_.size() - 1;
    b.flat = empty({bytes / static_cast<std::int64_t>(element_size(d.dtype()))},
                   TensorOptions(d.dtype(), d.device()));
  }
  for (Bucket& b : buckets_) b.pending = static_cast<std::int64_t>(b.params.size());
  for (std::size_t k = 0; k < params_.size(); ++k) {
    accumulators_.push_back(grad_accumulator(params_[k]));
    accumulators_.back()->add_post_accumulate_hook([this, k] { on_gradient_ready(k); });
  }
}

Reducer::~Reducer() {
  for (auto& a : accumulators_) a->clear_post_accumulate_hooks();
}

void Reducer::on_gradient_ready(std::size_t param) {
  if (copied_[param]) return;  // a second backward before finish(): the first counts
  Bucket& b = buckets_[bucket_of_[param]];
  std::size_t slot = 0;
  while (b.params[slot] != param) ++slot;
  const Tensor& grad = params_[param].grad();
  b.flat.narrow(0, b.offsets[slot], grad.numel()).copy_(grad.contiguous().view({grad.numel()}));
  copied_[param] = true;
  if (--b.pending == 0) launch_ready_buckets();
  // Progress for transfers already started (MPI moves data only inside its own calls).
  for (std::size_t i = 0; i < next_to_launch_; ++i)
    if (buckets_[i].work) buckets_[i].work->test();
}

void Reducer::launch_ready_buckets() {
  while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0) {
    Bucket& b = buckets_[next_to_launch_++];
    b.work = group_.allreduce_sum_async(b.flat);
  }
}

void Reducer::finish() {
  const auto start = std::chrono::steady_clock::now();
  // Parameters backward did not reach: zeros, so the buckets holding them can go.
  for (std::size_t k = 0; k < params_.size(); ++k) {
    if (copied_[k]) continue;
    Bucket& b = buckets_[bucket_of_[k]];
    std::size_t slot = 0;
    while (b.params[slot] != k) ++slot;
    b.flat.narrow(0, b.offsets[slot], params_[k].numel()).zero_();
    --b.pending;
  }
  launch_ready_buckets();
  const double scale = 1.0 / group_.size();
  for (Bucket& b : buckets_) {
    b.work->wait();
    b.work.reset();
    const Tensor mean = ops::mul(b.flat, scale);
    for (std::size_t slot = 0; slot < b.params.size(); ++slot) {
      Variable& p = params_[b.params[slot]];
      const Tensor part = mean.narrow(0, b.offsets[slot], p.numel()).view(p.shape());
      if (Tensor grad = p.grad(); grad.defined())
        grad.copy_(part);  // a handle to the same storage: .grad itself is written
      else
        p.set_grad(part.clone());
    }
    b.pending = static_cast<std::int64_t>(b.params.size());
  }
  copied_.assign(params_.size(), false);
  next_to_launch_ = 0;
  exposed_seconds_ +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace hs::dist
