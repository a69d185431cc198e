// Differentiable batch norm (plain, fused with ReLU, fused with a residual add and ReLU): f64
// gradient checks for every differentiable input, the fused ops' gradients against the composed
// relu(batch_norm), running statistics kept out of the graph, and the errors.
#include <catch2/catch.hpp>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/function_helpers.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// Inputs of the fused batch-norm tests: x [3,2,3,3], gamma and beta (all requiring grad) and
// running statistics for the 2 channels.
struct FusedBnInputs {
  Variable x, gamma, beta;
  Tensor running_mean, running_var;
  explicit FusedBnInputs(Generator& gen)
      : x(normal64({3, 2, 3, 3}, gen, 0.3, 1.0), true),
        gamma(normal64({2}, gen), true),
        beta(normal64({2}, gen, 0.0, 0.5), true),
        running_mean(normal64({2}, gen)),
        running_var(rand({2}, gen, DType::f64, 0.5, 2.0)) {}
};

}  // namespace

TEST_CASE("batch_norm: gradcheck of x, gamma and beta in training and eval") {
  Generator gen(501);
  for (const Shape& shape : {Shape{2, 3, 3, 2}, Shape{5, 3}, Shape{1, 3, 2, 3}}) {
    for (bool training : {true, false}) {
      INFO("shape " << shape << (training ? ", training" : ", eval"));
      Variable x(normal64(shape, gen, 0.5, 2.0), true);
      Variable gamma(normal64({3}, gen), true);
      Variable beta(normal64({3}, gen), true);
      const Tensor running_mean = normal64({3}, gen);
      const Tensor running_var = rand({3}, gen, DType::f64, 0.5, 2.0);
      require_gradcheck(
          [&](const std::vector<Variable>& in) {
            return batch_norm(in[0], in[1], in[2], running_mean, running_var, training);
          },
          {x, gamma, beta});
    }
  }
}

TEST_CASE("batch_norm without affine parameters or running statistics: gradcheck of x") {
  Generator gen(502);
  Variable x(normal64({3, 2, 2, 3}, gen), true);
  require_gradcheck(
      [](const std::vector<Variable>& in) {
        return batch_norm(in[0], Variable(), Variable(), Tensor(), Tensor(), true);
      },
      {x});
}

TEST_CASE("batch_norm_relu: gradcheck, and the same gradients as relu(batch_norm)") {
  Generator gen(503);
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    FusedBnInputs bn(gen);
    Variable &x = bn.x, &gamma = bn.gamma, &beta = bn.beta;
    const Tensor &running_mean = bn.running_mean, &running_var = bn.running_var;
    require_gradcheck(
        [&](const std::vector<Variable>& in) {
          return batch_norm_relu(in[0], in[1], in[2], running_mean, running_var, training);
        },
        {x, gamma, beta});

    const Tensor dy = normal64(x.shape(), gen);
    const Variable fused =
        batch_norm_relu(x, gamma, beta, running_mean.clone(), running_var.clone(), training);
    REQUIRE(fused.grad_fn()->name() == "BatchNormReluBackward");
    fused.backward(dy);
    const Tensor dx = x.grad(), dgamma = gamma.grad(), dbeta = beta.grad();
    x.zero_grad();
    gamma.zero_grad();
    beta.zero_grad();
    const Variable composed =
        relu(batch_norm(x, gamma, beta, running_mean.clone(), running_var.clone(), training));
    require_values(fused.data(), composed.data(), 0);
    composed.backward(dy);
    require_values(dx, x.grad(), 1e-13);
    require_values(dgamma, gamma.grad(), 1e-13);
    require_values(dbeta, beta.grad(), 1e-13);
  }
}

TEST_CASE("batch_norm_add_relu: gradcheck, and the same result as relu(batch_norm + r)") {
  Generator gen(506);
  for (bool training : {true, false}) {
    INFO((training ? "training" : "eval"));
    FusedBnInputs bn(gen);
    Variable &x = bn.x, &gamma = bn.gamma, &beta = bn.beta;
    const Tensor &running_mean = bn.running_mean, &running_var = bn.running_var;
    Variable residual(normal64({3, 2, 3, 3}, gen, 0.0, 0.8), true);
    require_gradcheck(
        [&](const std::vector<Variable>& in) {
          return batch_norm_add_relu(in[0], in[1], in[2], in[3], running_mean, running_var,
                                     training);
        },
        {x, residual, gamma, beta});

    const Tensor dy = normal64(x.shape(), gen);
    const Variable fused = batch_norm_add_relu(x, residual, gamma, beta, running_mean.clone(),
                                               running_var.clone(), training);
    REQUIRE(fused.grad_fn()->name() == "BatchNormAddReluBackward");
    fused.backward(dy);
    const Tensor dx = x.grad(), dr = residual.grad(), dgamma = gamma.grad(), dbeta = beta.grad();
    for (Variable* v : {&x, &residual, &gamma, &beta}) v->zero_grad();
    const Variable composed = relu(add(
        batch_norm(x, gamma, beta, running_mean.clone(), running_var.clone(), training), residual));
    require_values(fused.data(), composed.data(), 0);
    composed.backward(dy);
    require_values(dx, x.grad(), 1e-13);
    require_values(dr, residual.grad(), 0);
    require_values(dgamma, gamma.grad(), 1e-13);
    require_values(dbeta, beta.grad(), 1e-13);
  }
}

TEST_CASE("batch_norm_add_relu: the residual alone may need a gradient; shape errors") {
  Generator gen(507);
  const Variable x(normal64({2, 3, 2, 2}, gen), false);
  Variable residual(normal64({2, 3, 2, 2}, gen), true);
  const Variable y =
      batch_norm_add_relu(x, residual, Variable(), Variable(), Tensor(), Tensor(), true);
  REQUIRE(y.requires_grad());
  y.backward(ones(y.shape(), DType::f64));
  REQUIRE(residual.grad().defined());
  using Catch::Contains;
  REQUIRE_THROWS_WITH(batch_norm_add_relu(x, Variable(normal64({2, 3, 2, 3}, gen)), Variable(),
                                          Variable(), Tensor(), Tensor(), true),
                      Contains("batch_norm_add_relu") && Contains("residual") &&
                          Contains("[2,3,2,3]") && Contains("[2,3,2,2]"));
  REQUIRE_THROWS_WITH(
      batch_norm_add_relu(x, Variable(), Variable(), Variable(), Tensor(), Tensor(), true),
      Contains("batch_norm_add_relu") && Contains("residual"));
}

TEST_CASE("batch_norm: running statistics move in training only and stay out of the graph") {
  Generator gen(504);
  Variable x(normal64({4, 2, 3, 3}, gen, 1.0, 2.0), true);
  Variable gamma(ones({2}, DType::f64), true);
  Variable beta(zeros({2}, DType::f64), false);
  Tensor running_mean = zeros({2}, DType::f64), running_var = ones({2}, DType::f64);

  const Variable y = batch_norm(x, gamma, beta, running_mean, running_var, true, 0.5);
  REQUIRE(y.grad_fn()->name() == "BatchNormBackward");
  const std::vector<double> mean_after_train = running_mean.to_vector<double>();
  REQUIRE(mean_after_train[0] != 0.0);
  REQUIRE(mean_after_train[1] != 0.0);

  batch_norm(x, gamma, beta, running_mean, running_var, false);
  require_values(running_mean, mean_after_train, 0);

  sum(mul(y, y)).backward();
  REQUIRE(x.grad().defined());
  REQUIRE(gamma.grad().defined());
  REQUIRE_FALSE(beta.grad().defined());               // beta does not require grad
  require_values(running_mean, mean_after_train, 0);  // backward never touches them

  NoGradGuard no_grad;
  const Variable z = batch_norm(x, gamma, beta, running_mean, running_var, true);
  REQUIRE(z.grad_fn() == nullptr);
  REQUIRE_FALSE(z.requires_grad());
}

TEST_CASE("batch_norm: errors name the operation") {
  Generator gen(509);
  Variable x(normal64({2, 3, 4, 4}, gen), true);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(batch_norm(Variable(), Variable(), Variable(), Tensor(), Tensor(), true),
                      Contains("batch_norm") && Contains("undefined"));
  REQUIRE_THROWS_WITH(
      batch_norm_relu(x, Variable(ones({4}, DType::f64)), Variable(), Tensor(), Tensor(), true),
      Contains("batch_norm_relu") && Contains("gamma"));
}
