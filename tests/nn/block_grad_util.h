#pragma once
// The f64 gradient check every block test runs: d(block(x))/dx and d(block(x))/dθ for every
// parameter θ, with BN in training mode and random BN scales and shifts (so their gradients
// are not a special case). gradcheck perturbs each element in its own storage, so the block
// sees the perturbed parameters through its members; a training forward never reads the
// running statistics it updates.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/generator.h"
#include "nn/init.h"
#include "nn/module.h"

namespace hs::test {

// Block: an nn::Module built from `options`. A parameter is a BN one when its name holds
// `bn_marker` ("bns." for the HS and Res2Net blocks, "bn." for the SK block).
template <class Block, class Options>
void require_block_gradcheck(const Options& options, const Shape& input,
                             const std::string& bn_marker) {
  nn::manual_seed(7);
  Block block(options);
  block.to(DType::f64);
  block.train();
  Generator gen(8);
  std::vector<Variable> inputs = {Variable(rand(input, gen, DType::f64, -1.0, 1.0), true)};
  std::vector<std::string> names = {"input"};
  for (auto& [name, p] : block.named_parameters()) {
    if (name.find(bn_marker) != std::string::npos)
      Tensor(p.data()).copy_(rand(p.shape(), gen, DType::f64, 0.5, 1.5));
    inputs.push_back(p);
    names.push_back(name);
  }
  const GradcheckResult result =
      gradcheck([&block](const std::vector<Variable>& in) { return block(in[0]); }, inputs);
  INFO(block.extra_repr());
  INFO(result.report());
  REQUIRE(result.inputs.size() == names.size());
  for (const GradcheckInputReport& r : result.inputs) {
    INFO(names[r.index]);
    CHECK(r.ok);
  }
  REQUIRE(result.ok);
}

// Random BN scales, shifts and running means in [-0.5, 0.5] and running variances in
// [0.5, 2] for every buffer and parameter whose name holds `bn_marker`, so that an eval-mode
// batch norm is not the identity.
inline void randomise_batch_norms(nn::Module& block, Generator& gen, const std::string& bn_marker) {
  for (auto& [name, tensor] : block.state_dict()) {
    if (name.find(bn_marker) == std::string::npos || name.find("num_batches") != std::string::npos)
      continue;
    const bool var = name.find("running_var") != std::string::npos;
    Tensor(tensor).copy_(
        rand(tensor.shape(), gen, tensor.dtype(), var ? 0.5 : -0.5, var ? 2.0 : 0.5));
  }
}

}  // namespace hs::test
