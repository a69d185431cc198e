// Differentiable sum and mean. Backward broadcasts the gradient back over the reduced
// dims as an expanded view (no copy): the consumers accept any strides.
#include "ops/reduce.h"

#include <utility>

#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "ops/elementwise.h"

namespace hs {

namespace {

// Which dims of an ndim-dim tensor `dims` reduces (all when empty).
std::vector<bool> reduced_dims(const std::vector<std::int64_t>& dims, int ndim, const char* op) {
  std::vector<bool> reduced(ndim, dims.empty());
  for (std::int64_t d : dims) reduced[wrap_dim(d, ndim, op)] = true;
  return reduced;
}

class ReduceBackward : public Node {
 public:
  // scale multiplies the gradient: 1 for sum, 1/count for mean.
  ReduceBackward(const char* name, Shape input_shape, std::vector<bool> reduced, bool keepdim,
                 double scale)
      : name_(name),
        input_shape_(input_shape),
        reduced_(std::move(reduced)),
        keepdim_(keepdim),
        scale_(scale) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    Tensor g = scale_ == 1.0 ? std::move(grads[0]) : ops::mul(grads[0], scale_);
    if (!keepdim_) {
      for (int d = 0; d < input_shape_.size(); ++d)
        if (reduced_[d]) g = g.unsqueeze(d);
    }
    return {g.expand(input_shape_)};
  }
  std::string name() const override { return name_; }

 private:
  const char* name_;
  Shape input_shape_;
  std::vector<bool> reduced_;
  bool keepdim_;
  double scale_;
};

}  // namespace

Variable sum(const Variable& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Tensor out = ops::sum(x.data(), dims, keepdim);
  if (!needs_grad(x)) return Variable(std::move(out));
  return record(std::make_shared<ReduceBackward>("SumBackward", x.shape(),
                                                 reduced_dims(dims, x.dim(), "sum"), keepdim, 1.0),
                std::move(out), x);
}

Variable mean(const Variable& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Tensor out = ops::mean(x.data(), dims, keepdim);
  if (!needs_grad(x)) return Variable(std::move(out));
  std::vector<bool> reduced = reduced_dims(dims, x.dim(), "mean");
  std::int64_t count = 1;
  for (int d = 0; d < x.dim(); ++d)
    if (reduced[d]) count *= x.size(d);
  return record(std::make_shared<ReduceBackward>("MeanBackward", x.shape(), std::move(reduced),
                                                 keepdim, 1.0 / static_cast<double>(count)),
                std::move(out), x);
}

}  // namespace hs
