// hsnet gradcheck: central-difference check, in f64 with BN in training mode, of the input
// and every parameter of an HS block, an HS bottleneck or a small HS-ResNet.
#include <cstdio>
#include <iomanip>
#include <iostream>

#include "autograd/gradcheck.h"
#include "models/blocks.h"
#include "models/resnet.h"
#include "nn/hs_block.h"
#include "nn/init.h"
#include "tools/commands.h"

namespace hs::tools {

namespace {

struct GradcheckArgs {
  std::string target = "hs_block";
  std::int64_t s = 4, w = 2, stride = 1, batch = 2, size = 6;
  double ratio = 0.5;
  bool carry_leading = false;
  std::uint64_t seed = 0;
};

// The module under test and the channel count of its input.
std::pair<std::shared_ptr<nn::Module>, std::int64_t> build(const GradcheckArgs& a) {
  nn::HSBlockOptions hs;
  hs.splits = a.s;
  hs.width = a.w;
  hs.carry_ratio = a.ratio;
  hs.carry_leading = a.carry_leading;
  hs.stride = a.stride;
  if (a.target == "hs_block") return {std::make_shared<nn::HSBlock>(hs), a.s * a.w};
  if (a.target == "hs_bottleneck") {
    models::HSBottleneckOptions b;
    b.planes = a.w;
    b.in = 4 * a.w;  // identity shortcut at stride 1, projection at stride 2
    b.stride = a.stride;
    b.hs = hs;
    return {std::make_shared<models::HSBottleneck>(b), b.in};
  }
  if (a.target == "hs_resnet") {
    models::ModelOptions o;
    o.s = a.s;
    o.w0 = a.w;
    o.ratio = a.ratio;
    o.carry_leading = a.carry_leading;
    o.classes = 3;
    return {models::hs_resnet_cifar(11, o), 3};
  }
  HS_FAIL("gradcheck: unknown --target '", a.target,
          "' (valid: hs_block, hs_bottleneck, hs_resnet)");
}

}  // namespace

Command add_gradcheck(CLI::App& app) {
  auto a = std::make_shared<GradcheckArgs>();
  app.add_option("--target", a->target, "hs_block | hs_bottleneck | hs_resnet")
      ->capture_default_str();
  app.add_option("--s", a->s, "split number")->capture_default_str();
  app.add_option("--w", a->w, "group width (hs_resnet: w0)")->capture_default_str();
  app.add_option("--ratio", a->ratio, "carry ratio")->capture_default_str();
  app.add_flag("--carry-leading", a->carry_leading, "carry the leading channels");
  app.add_option("--stride", a->stride, "1 or 2 (hs_block, hs_bottleneck)")->capture_default_str();
  app.add_option("--batch", a->batch, "batch size")->capture_default_str();
  app.add_option("--size", a->size, "input height and width")->capture_default_str();
  app.add_option("--seed", a->seed, "seed of weights and input")->capture_default_str();
  return [a]() {
    HS_CHECK(a->batch >= 1 && a->size >= 1, "gradcheck: --batch and --size must be >= 1");
    nn::manual_seed(a->seed);
    auto [module, channels] = build(*a);
    module->to(DType::f64);
    module->train();
    Generator gen(a->seed + 1);
    Variable x(randn({a->batch, channels, a->size, a->size}, gen, DType::f64), true);

    std::vector<std::string> names = {"input"};
    std::vector<Variable> inputs = {x};
    for (auto& [name, p] : module->named_parameters()) {
      names.push_back(name);
      inputs.push_back(p);
    }
    std::cout << "gradcheck " << a->target << ": " << module->extra_repr() << " input "
              << x.shape() << ", " << inputs.size() << " tensors, "
              << module->num_parameters() + x.numel() << " elements\n";
    // A structured binding named in a lambda is C++20 that clang 14 (the fuzz build) lacks.
    auto fn = [&m = *module](const std::vector<Variable>& in) { return m(in[0]); };
    const GradcheckResult result = gradcheck(fn, inputs);

    std::size_t width = 6;
    for (const auto& n : names) width = std::max(width, n.size());
    std::cout << std::left << std::setw(width + 2) << "tensor" << std::setw(18) << "shape"
              << std::right << std::setw(14) << "max_abs_err" << std::setw(14) << "max_rel_err"
              << "  ok\n";
    for (const GradcheckInputReport& r : result.inputs) {
      std::cout << std::left << std::setw(width + 2) << names[r.index] << std::setw(18)
                << r.shape.str() << std::right << std::scientific << std::setprecision(2)
                << std::setw(14) << r.max_abs_error << std::setw(14) << r.max_rel_error
                << std::defaultfloat << "  " << (r.ok ? "yes" : "NO") << "\n";
    }
    std::cout << "gradcheck: " << (result.ok ? "PASS" : "FAIL") << std::endl;
    return result.ok ? 0 : 1;
  };
}

}  // namespace hs::tools
