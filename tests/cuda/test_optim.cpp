// SGD (plain, momentum, Nesterov, weight decay) and AdamW updating CUDA parameters against
// the same optimizers updating CPU copies, step by step: parameters and state buffers.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/variable.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "device_compare.h"
#include "nn/adamw.h"
#include "nn/sgd.h"

using namespace hs;
using cuda_test::kGpu;
using cuda_test::require_close;

namespace {

// Two parameters (a matrix and a vector) on `device`, with seeded values.
nn::NamedParameters make_params(Device device, DType dtype) {
  Generator gen(501);
  nn::NamedParameters params;
  params.emplace_back("w", Variable(randn({7, 33}, gen, dtype).to(device), true));
  params.emplace_back("b", Variable(randn({33}, gen, dtype).to(device), true));
  return params;
}

// Runs `steps` updates on both devices with the same seeded gradients, comparing the
// parameters and every state buffer after each.
template <class MakeOptimizer>
void compare(DType dtype, MakeOptimizer make_optimizer, int steps = 4) {
  nn::NamedParameters cpu = make_params(Device::cpu(), dtype);
  nn::NamedParameters gpu = make_params(kGpu, dtype);
  std::unique_ptr<nn::Optimizer> cpu_opt = make_optimizer(cpu);
  std::unique_ptr<nn::Optimizer> gpu_opt = make_optimizer(gpu);
  Generator gen(502);
  const double tol = dtype == DType::f32 ? 2e-6 : 1e-13;
  for (int step = 0; step < steps; ++step) {
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      const Tensor g = randn(cpu[i].second.shape(), gen, dtype);
      cpu[i].second.set_grad(g);
      gpu[i].second.set_grad(g.to(kGpu));
    }
    cpu_opt->step();
    gpu_opt->step();
    for (std::size_t i = 0; i < cpu.size(); ++i) {
      INFO("step " << step << " parameter " << cpu[i].first);
      require_close(gpu[i].second.data(), cpu[i].second.data(), tol, tol);
    }
    const nn::StateDict cpu_state = cpu_opt->state_dict(), gpu_state = gpu_opt->state_dict();
    REQUIRE(cpu_state.size() == gpu_state.size());
    for (const auto& [key, value] : cpu_state) {
      INFO("step " << step << " state " << key);
      if (gpu_state.at(key).is_cpu())  // the step counters stay on the host
        REQUIRE(value.item() == gpu_state.at(key).item());
      else
        require_close(gpu_state.at(key), value, tol, tol);
    }
  }
}

}  // namespace

TEST_CASE("SGD on CUDA parameters matches the CPU", "[cuda]") {
  for (const DType dtype : {DType::f32, DType::f64}) {
    for (const auto& [momentum, nesterov, decay] : std::vector<std::tuple<double, bool, double>>{
             {0.0, false, 0.0}, {0.0, false, 5e-4}, {0.9, false, 5e-4}, {0.9, true, 1e-3}}) {
      INFO(dtype_name(dtype) << " momentum " << momentum << " nesterov " << nesterov);
      // Structured bindings are captured through a copy: clang 14 cannot capture them.
      compare(dtype, [&, momentum = momentum, nesterov = nesterov,
                      decay = decay](const nn::NamedParameters& p) {
        nn::SgdOptions o{0.05};
        o.momentum = momentum;
        o.nesterov = nesterov;
        o.weight_decay = decay;
        o.no_decay_bn_and_bias = true;
        return std::make_unique<nn::SGD>(p, o);
      });
    }
  }
}

TEST_CASE("AdamW on CUDA parameters matches the CPU", "[cuda]") {
  for (const DType dtype : {DType::f32, DType::f64}) {
    compare(dtype, [](const nn::NamedParameters& p) {
      nn::AdamWOptions o;
      o.lr = 0.01;
      o.weight_decay = 0.05;
      return std::make_unique<nn::AdamW>(p, o);
    });
  }
}

TEST_CASE("the optimizer rejects a CPU gradient for a CUDA parameter", "[cuda]") {
  nn::NamedParameters params = make_params(kGpu, DType::f32);
  nn::SGD sgd(params, nn::SgdOptions{0.1});
  params[0].second.set_grad(zeros(params[0].second.shape()));
  REQUIRE_THROWS_WITH(sgd.step(), Catch::Contains("cpu"));
}
