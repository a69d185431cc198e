// Differentiable views and concatenation. Forward passes are Tensor views (no copy,
// except reshape of a layout that cannot be viewed); backward passes map the gradient
// back with the inverse view wherever possible.
#include <numeric>
#include <utility>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "ops/cat.h"

namespace hs {

namespace {

// view, reshape and flatten: the gradient is reshaped back to the input's shape.
class ReshapeBackward : public Node {
 public:
  ReshapeBackward(const char* name, Shape input_shape) : name_(name), input_shape_(input_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {grads[0].reshape(input_shape_)};
  }
  std::string name() const override { return name_; }

 private:
  const char* name_;
  Shape input_shape_;
};

// The gradient goes into its slice of a zero tensor of the input's shape.
class NarrowBackward : public Node {
 public:
  NarrowBackward(Shape input_shape, int dim, std::int64_t start)
      : input_shape_(input_shape), dim_(dim), start_(start) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    const Tensor& g = grads[0];
    Tensor full_grad = zeros(input_shape_, TensorOptions(g.dtype(), g.device()));
    full_grad.narrow(dim_, start_, g.size(dim_)).copy_(g);
    return {std::move(full_grad)};
  }
  std::string name() const override { return "NarrowBackward"; }

 private:
  Shape input_shape_;
  int dim_;
  std::int64_t start_;
};

// True when the parts lie back to back along dim in one storage with equal strides, as
// the views that cat's backward hands out do: then they already form the whole gradient.
bool adjacent_views(const std::vector<Tensor>& parts, int dim) {
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const Tensor& a = parts[i];
    const Tensor& b = parts[i + 1];
    if (!a.defined() || !b.defined() || !a.shares_storage_with(b) || a.strides() != b.strides() ||
        b.storage_offset() != a.storage_offset() + a.size(dim) * a.stride(dim))
      return false;
  }
  return parts.front().defined();
}

// One node for all outputs of split, so their gradients land in a single buffer.
class SplitBackward : public Node {
 public:
  SplitBackward(Shape input_shape, int dim, std::vector<std::int64_t> sizes)
      : input_shape_(input_shape), dim_(dim), sizes_(std::move(sizes)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    if (adjacent_views(grads, dim_)) {
      const Tensor& first = grads.front();
      return {first.as_strided(input_shape_, first.strides(), first.storage_offset())};
    }
    bool all_defined = true;
    for (const Tensor& g : grads) all_defined = all_defined && g.defined();
    if (all_defined) return {ops::cat(grads, dim_)};

    const Tensor* some = nullptr;
    for (const Tensor& g : grads)
      if (g.defined()) some = &g;
    Tensor full_grad = zeros(input_shape_, TensorOptions(some->dtype(), some->device()));
    std::int64_t start = 0;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (grads[i].defined()) full_grad.narrow(dim_, start, sizes_[i]).copy_(grads[i]);
      start += sizes_[i];
    }
    return {std::move(full_grad)};
  }
  std::string name() const override { return "SplitBackward"; }

 private:
  Shape input_shape_;
  int dim_;
  std::vector<std::int64_t> sizes_;
};

// Each input receives its slice of the incoming gradient as a view.
class CatBackward : public Node {
 public:
  CatBackward(int dim, std::vector<std::int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    const Tensor& g = grads[0];
    std::vector<Tensor> parts(sizes_.size());
    std::int64_t start = 0;
    for (std::size_t i = 0; i < sizes_.size(); ++i) {
      if (input_needs_grad(*this, i)) parts[i] = g.narrow(dim_, start, sizes_[i]);
      start += sizes_[i];
    }
    return parts;
  }
  std::string name() const override { return "CatBackward"; }

 private:
  int dim_;
  std::vector<std::int64_t> sizes_;
};

class TransposeBackward : public Node {
 public:
  TransposeBackward(int d0, int d1) : d0_(d0), d1_(d1) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {grads[0].transpose(d0_, d1_)};
  }
  std::string name() const override { return "TransposeBackward"; }

 private:
  int d0_, d1_;
};

class PermuteBackward : public Node {
 public:
  explicit PermuteBackward(std::vector<std::int64_t> inverse) : inverse_(std::move(inverse)) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {grads[0].permute(inverse_)};
  }
  std::string name() const override { return "PermuteBackward"; }

 private:
  std::vector<std::int64_t> inverse_;
};

class UnsqueezeBackward : public Node {
 public:
  explicit UnsqueezeBackward(int dim) : dim_(dim) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {grads[0].squeeze(dim_)};
  }
  std::string name() const override { return "UnsqueezeBackward"; }

 private:
  int dim_;
};

// squeeze of a dim whose size is not 1 changes nothing; its gradient passes unchanged.
class SqueezeBackward : public Node {
 public:
  SqueezeBackward(int dim, bool squeezed) : dim_(dim), squeezed_(squeezed) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {squeezed_ ? grads[0].unsqueeze(dim_) : std::move(grads[0])};
  }
  std::string name() const override { return "SqueezeBackward"; }

 private:
  int dim_;
  bool squeezed_;
};

Variable reshaping(const char* node_name, const Variable& x, Tensor out) {
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(std::make_shared<ReshapeBackward>(node_name, x.shape()), std::move(out), x);
}

}  // namespace

Variable view(const Variable& x, const Shape& shape) {
  return reshaping("ViewBackward", x, x.data().view(shape));
}

Variable reshape(const Variable& x, const Shape& shape) {
  return reshaping("ReshapeBackward", x, x.data().reshape(shape));
}

Variable flatten(const Variable& x, std::int64_t start_dim, std::int64_t end_dim) {
  return reshaping("FlattenBackward", x, x.data().flatten(start_dim, end_dim));
}

Variable narrow(const Variable& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  Tensor out = x.data().narrow(dim, start, length);
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(
      std::make_shared<NarrowBackward>(x.shape(), wrap_dim(dim, x.dim(), "narrow"), start),
      std::move(out), x);
}

std::vector<Variable> split(const Variable& x, const std::vector<std::int64_t>& sizes,
                            std::int64_t dim) {
  std::vector<Tensor> parts = x.data().split(sizes, dim);
  if (!needs_grad(x)) {
    std::vector<Variable> outs;
    outs.reserve(parts.size());
    for (Tensor& p : parts) outs.emplace_back(std::move(p));
    return outs;
  }
  auto node = std::make_shared<SplitBackward>(x.shape(), wrap_dim(dim, x.dim(), "split"), sizes);
  return record_outputs(node, std::move(parts), x);
}

Variable cat(const std::vector<Variable>& xs, std::int64_t dim) {
  std::vector<Tensor> tensors;
  tensors.reserve(xs.size());
  for (const Variable& x : xs) tensors.push_back(x.data());
  Tensor out = ops::cat(tensors, dim);
  if (!needs_grad(xs)) return Variable(std::move(out));
  const int d = wrap_dim(dim, out.dim(), "cat");
  std::vector<std::int64_t> sizes;
  sizes.reserve(xs.size());
  for (const Variable& x : xs) sizes.push_back(x.size(d));
  return record(std::make_shared<CatBackward>(d, std::move(sizes)), std::move(out), xs);
}

Variable transpose(const Variable& x, std::int64_t d0, std::int64_t d1) {
  Tensor out = x.data().transpose(d0, d1);
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(std::make_shared<TransposeBackward>(wrap_dim(d0, x.dim(), "transpose"),
                                                    wrap_dim(d1, x.dim(), "transpose")),
                std::move(out), x);
}

Variable permute(const Variable& x, const std::vector<std::int64_t>& order) {
  Tensor out = x.data().permute(order);
  if (!needs_grad(x)) return Variable(std::move(out));
  std::vector<std::int64_t> inverse(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    inverse[wrap_dim(order[i], x.dim(), "permute")] = static_cast<std::int64_t>(i);
  return record(std::make_shared<PermuteBackward>(std::move(inverse)), std::move(out), x);
}

Variable unsqueeze(const Variable& x, std::int64_t dim) {
  Tensor out = x.data().unsqueeze(dim);
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(std::make_shared<UnsqueezeBackward>(wrap_dim(dim, x.dim() + 1, "unsqueeze")),
                std::move(out), x);
}

Variable squeeze(const Variable& x, std::int64_t dim) {
  Tensor out = x.data().squeeze(dim);
  if (!needs_grad(x)) return Variable(std::move(out));
  const bool squeezed = out.dim() < x.dim();
  return record(std::make_shared<SqueezeBackward>(wrap_dim(dim, x.dim(), "squeeze"), squeezed),
                std::move(out), x);
}

}  // namespace hs
