// hs_block: builds one Hierarchical-Split block, shows how it routes its channels, runs it
// on a random batch and checks its gradients in f64.
//
//   usage: hs_block [s] [w] [r]      (defaults: 4 8 0.5)
#include "nn/hs_block.h"

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/error.h"
#include "core/tensor.h"
#include "nn/init.h"
#include "ops/backends.h"

int main(int argc, char** argv) {
  hs::register_backends();
  try {
    hs::nn::HSBlockOptions opts;
    opts.splits = argc > 1 ? std::stoll(argv[1]) : 4;
    opts.width = argc > 2 ? std::stoll(argv[2]) : 8;
    opts.carry_ratio = argc > 3 ? std::stod(argv[3]) : 0.5;

    hs::nn::manual_seed(0);
    hs::nn::HSBlock block(opts);
    std::cout << "HSBlock(" << block.extra_repr() << "), " << block.num_parameters()
              << " parameters\n\n"
              << block.plan_str() << "\n";

    // A forward pass on a random batch of 2 images, 16x16.
    hs::Generator gen(1);
    const hs::Shape shape{2, block.channels(), 16, 16};
    const hs::Variable x(hs::randn(shape, gen));
    const hs::Variable y = block(x);
    std::cout << "forward: input " << x.shape() << " -> output " << y.shape() << "\n\n";

    // Gradient check in f64 of the input and every parameter, on a small 4x4 batch (each
    // element costs two forward passes).
    block.to(hs::DType::f64);
    std::vector<hs::Variable> inputs = {
        hs::Variable(hs::randn({2, block.channels(), 4, 4}, gen, hs::DType::f64), true)};
    for (const hs::Variable& p : block.parameters()) inputs.push_back(p);
    const hs::GradcheckResult result = hs::gradcheck(
        [&block](const std::vector<hs::Variable>& in) { return block(in[0]); }, inputs);
    std::cout << "gradcheck inputs: 0 = x";
    const auto named = block.named_parameters();
    for (std::size_t i = 0; i < named.size(); ++i)
      std::cout << ", " << i + 1 << " = " << named[i].first;
    std::cout << "\n";
    std::cout << result.report() << (result.ok ? "PASS" : "FAIL") << "\n";
    return result.ok ? EXIT_SUCCESS : EXIT_FAILURE;
  } catch (const hs::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::logic_error& e) {  // std::stoll / std::stod on a bad argument
    std::cerr << "usage: hs_block [s] [w] [r]   (" << e.what() << ")\n";
    return 2;
  }
}
