#include "tools/gradcheck_target.h"

#include <algorithm>
#include <iomanip>
#include <memory>

#include "autograd/gradcheck.h"
#include "models/blocks.h"
#include "models/res2net.h"
#include "models/skeleton.h"
#include "models/sknet.h"
#include "nn/hs_block.h"
#include "nn/init.h"

namespace hs::tools {

namespace {

// The module under test and the channel count of its input.
std::pair<std::shared_ptr<nn::Module>, std::int64_t> build(const GradcheckTarget& a) {
  const std::int64_t s = a.split.empty() ? a.s : static_cast<std::int64_t>(a.split.size());
  nn::HSBlockOptions hs;
  hs.splits = s;
  hs.width = a.w;
  if (!a.split.empty()) hs.widths = nn::split_widths(a.split, s * a.w);
  hs.carry_ratio = a.ratio;
  hs.carry_leading = a.carry_leading;
  hs.stride = a.stride;
  if (a.target == "hs_block") return {std::make_shared<nn::HSBlock>(hs), s * a.w};
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
    o.depth = 11;
    o.s = s;
    o.w0 = a.w;
    o.ratio = a.ratio;
    o.carry_leading = a.carry_leading;
    o.split = a.split;
    o.classes = 3;
    return {models::cifar_resnet(o), 3};
  }
  if (a.target == "res2net_block" || a.target == "res2net_bottleneck") {
    HS_CHECK(a.split.empty(), "gradcheck: --split applies to the HS targets only");
    if (a.target == "res2net_block") {
      nn::Res2NetBlockOptions r;
      r.scale = s;
      r.width = a.w;
      r.stride = a.stride;
      r.stage = a.stride != 1;
      return {std::make_shared<nn::Res2NetBlock>(r), s * a.w};
    }
    models::Res2NetBottleneckOptions b;
    b.planes = a.w;
    b.in = 4 * a.w;  // a normal block at stride 1, a stage block (projection) at stride 2
    b.stride = a.stride;
    b.scale = s;
    b.width = a.w;
    return {std::make_shared<models::Res2NetBottleneck>(b), b.in};
  }
  if (a.target == "sk_block" || a.target == "sk_bottleneck") {
    HS_CHECK(a.split.empty(), "gradcheck: --split applies to the HS targets only");
    // --s branches of --w channels, as `hsnet explain --block sk` reads them.
    if (a.target == "sk_block") {
      nn::SelectiveKernelOptions k;
      k.in_channels = k.out_channels = a.w;
      k.branches = s;
      k.stride = a.stride;
      k.attention = nn::make_divisible(a.w / 16.0, 8);
      return {std::make_shared<nn::SelectiveKernel>(k), a.w};
    }
    models::SKBottleneckOptions b;
    b.planes = a.w;
    b.in = 4 * a.w;
    b.stride = a.stride;
    b.width = a.w;
    b.branches = s;
    b.attention = nn::make_divisible(a.w / 16.0, 8);
    return {std::make_shared<models::SKBottleneck>(b), b.in};
  }
  HS_FAIL("gradcheck: unknown --target '", a.target,
          "' (valid: hs_block, hs_bottleneck, hs_resnet, res2net_block, res2net_bottleneck, "
          "sk_block, sk_bottleneck)");
}

}  // namespace

GradcheckOutcome run_gradcheck(const GradcheckTarget& a, std::ostream* table) {
  HS_CHECK(a.batch >= 1 && a.size >= 1, "gradcheck: --batch and --size must be >= 1");
  nn::manual_seed(a.seed);
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one in a lambda.
  const auto built = build(a);
  const std::shared_ptr<nn::Module> module = built.first;
  const std::int64_t channels = built.second;
  module->to(DType::f64);
  module->train();
  Generator gen(a.seed + 1);
  Variable x(randn({a.batch, channels, a.size, a.size}, gen, DType::f64), true);

  std::vector<std::string> names = {"input"};
  std::vector<Variable> inputs = {x};
  for (auto& [name, p] : module->named_parameters()) {
    names.push_back(name);
    inputs.push_back(p);
  }
  if (table)
    *table << "gradcheck " << a.target << ": " << module->extra_repr() << " input " << x.shape()
           << ", " << inputs.size() << " tensors, " << module->num_parameters() + x.numel()
           << " elements\n";
  auto fn = [&](const std::vector<Variable>& in) { return (*module)(in[0]); };
  const GradcheckResult result = gradcheck(fn, inputs);

  GradcheckOutcome outcome;
  outcome.ok = result.ok;
  for (const GradcheckInputReport& r : result.inputs) {
    outcome.max_abs_error = std::max(outcome.max_abs_error, r.max_abs_error);
    outcome.max_rel_error = std::max(outcome.max_rel_error, r.max_rel_error);
  }
  if (!table) return outcome;
  std::size_t width = 6;
  for (const auto& n : names) width = std::max(width, n.size());
  *table << std::left << std::setw(width + 2) << "tensor" << std::setw(18) << "shape" << std::right
         << std::setw(14) << "max_abs_err" << std::setw(14) << "max_rel_err"
         << "  ok\n";
  for (const GradcheckInputReport& r : result.inputs) {
    *table << std::left << std::setw(width + 2) << names[r.index] << std::setw(18) << r.shape.str()
           << std::right << std::scientific << std::setprecision(2) << std::setw(14)
           << r.max_abs_error << std::setw(14) << r.max_rel_error << std::defaultfloat << "  "
           << (r.ok ? "yes" : "NO") << "\n";
  }
  *table << "gradcheck: " << (result.ok ? "PASS" : "FAIL") << std::endl;
  return outcome;
}

}  // namespace hs::tools
