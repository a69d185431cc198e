// Trains a 2-layer MLP on a synthetic 3-arm spiral with hsnet's autograd, printing the loss
// as it falls. Everything here is the public API: tensors, Variables, differentiable
// functions, backward() and a hand-written SGD step.
#include <cmath>
#include <cstdio>
#include <numbers>
#include <vector>

#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "core/tensor.h"
#include "ops/backends.h"
#include "ops/elementwise.h"
#include "ops/loss.h"

using namespace hs;

namespace {

constexpr std::int64_t kClasses = 3, kPerClass = 100, kHidden = 64;

// Points along kClasses interleaved spiral arms, with a little noise; labels = arm index.
void make_spiral(Generator& gen, Tensor& points, Tensor& labels) {
  std::vector<float> xy;
  std::vector<std::int64_t> ys;
  for (std::int64_t c = 0; c < kClasses; ++c) {
    for (std::int64_t i = 0; i < kPerClass; ++i) {
      const double r = static_cast<double>(i) / kPerClass;
      const double t = c * 2.0 * std::numbers::pi / kClasses + 4.0 * r + 0.2 * gen.normal();
      xy.push_back(static_cast<float>(r * std::sin(t)));
      xy.push_back(static_cast<float>(r * std::cos(t)));
      ys.push_back(c);
    }
  }
  points = from_vector(xy, {kClasses * kPerClass, 2});
  labels = from_vector(ys);
}

}  // namespace

int main() {
  hs::register_backends();
  Generator gen(1);
  Tensor points, labels;
  make_spiral(gen, points, labels);

  // Parameters: leaves that require grad.
  Variable w1(randn({2, kHidden}, gen, {}, 0.0, 1.0), true);
  Variable b1(zeros({kHidden}), true);
  Variable w2(randn({kHidden, kClasses}, gen, {}, 0.0, 0.1), true);
  Variable b2(zeros({kClasses}), true);
  std::vector<Variable> params = {w1, b1, w2, b2};

  const Variable x(points);
  const double lr = 1.0;
  for (int step = 0; step <= 1000; ++step) {
    const Variable hidden = relu(matmul(x, w1) + b1);
    const Variable logits = matmul(hidden, w2) + b2;
    const Variable loss = cross_entropy(logits, labels);
    for (Variable& p : params) p.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;  // the update itself is not part of any graph
      for (Variable& p : params) {
        Tensor data = p.data();
        ops::add_(data, p.grad(), -lr);
      }
    }
    if (step % 100 == 0) {
      const double acc = ops::accuracy(logits.data(), labels, 1);
      std::printf("step %4d  loss %.4f  train accuracy %.1f%%\n", step, loss.item(), 100 * acc);
    }
  }
  return 0;
}
