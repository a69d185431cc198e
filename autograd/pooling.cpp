// Differentiable max, average and global average pooling: forwards through ops::, one node
// per call whose backward also calls ops::.
#include "autograd/pooling.h"

#include <memory>
#include <utility>
#include <vector>

#include "autograd/function_helpers.h"
#include "ops/pooling.h"

namespace hs {

namespace {

class MaxPool2dBackward : public Node {
 public:
  MaxPool2dBackward(Tensor indices, Shape input_shape)
      : indices_(std::move(indices)), input_shape_(input_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    check_not_released();
    return {ops::max_pool2d_backward(grads[0], indices_, input_shape_)};
  }
  std::string name() const override { return "MaxPool2dBackward"; }
  void release_saved() override {
    indices_ = Tensor();
    released_ = true;
  }

 private:
  Tensor indices_;
  Shape input_shape_;
};

// Saves no tensor: the window geometry and the input's shape determine the gradient.
class AvgPool2dBackward : public Node {
 public:
  AvgPool2dBackward(Shape input_shape, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding, bool count_include_pad)
      : input_shape_(input_shape),
        kernel_(kernel),
        stride_(stride),
        padding_(padding),
        count_include_pad_(count_include_pad) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::avg_pool2d_backward(grads[0], input_shape_, kernel_, stride_, padding_,
                                     count_include_pad_)};
  }
  std::string name() const override { return "AvgPool2dBackward"; }

 private:
  Shape input_shape_;
  ops::Size2 kernel_;
  std::optional<ops::Size2> stride_;
  ops::Size2 padding_;
  bool count_include_pad_;
};

class GlobalAvgPool2dBackward : public Node {
 public:
  explicit GlobalAvgPool2dBackward(Shape input_shape) : input_shape_(input_shape) {}
  std::vector<Tensor> apply(std::vector<Tensor>&& grads) override {
    return {ops::global_avg_pool2d_backward(grads[0], input_shape_)};
  }
  std::string name() const override { return "GlobalAvgPool2dBackward"; }

 private:
  Shape input_shape_;
};

}  // namespace

Variable max_pool2d(const Variable& x, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding) {
  check_defined_input("max_pool2d", x, "input");
  ops::MaxPool2dForward f = ops::max_pool2d_forward(x.data(), kernel, stride, padding);
  if (!needs_grad(x)) return Variable(std::move(f.y));
  return record(std::make_shared<MaxPool2dBackward>(std::move(f.indices), x.shape()),
                std::move(f.y), x);
}

Variable avg_pool2d(const Variable& x, ops::Size2 kernel, std::optional<ops::Size2> stride,
                    ops::Size2 padding, bool count_include_pad) {
  check_defined_input("avg_pool2d", x, "input");
  Tensor y = ops::avg_pool2d_forward(x.data(), kernel, stride, padding, count_include_pad);
  if (!needs_grad(x)) return Variable(std::move(y));
  return record(
      std::make_shared<AvgPool2dBackward>(x.shape(), kernel, stride, padding, count_include_pad),
      std::move(y), x);
}

Variable global_avg_pool2d(const Variable& x) {
  check_defined_input("global_avg_pool2d", x, "input");
  Tensor y = ops::global_avg_pool2d_forward(x.data());
  if (!needs_grad(x)) return Variable(std::move(y));
  return record(std::make_shared<GlobalAvgPool2dBackward>(x.shape()), std::move(y), x);
}

}  // namespace hs
