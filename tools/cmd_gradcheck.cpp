// hsnet gradcheck: central-difference check, in f64 with BN in training mode, of the input
// and every parameter of an HS block, an HS bottleneck or a small HS-ResNet, or of a
// Res2Net or Selective-Kernel block or bottleneck.
#include <iostream>

#include "tools/commands.h"
#include "tools/gradcheck_target.h"

namespace hs::tools {

Command add_gradcheck(CLI::App& app) {
  auto a = std::make_shared<GradcheckTarget>();
  app.add_option("--target", a->target,
                 "hs_block | hs_bottleneck | hs_resnet | res2net_block | res2net_bottleneck | "
                 "sk_block | sk_bottleneck")
      ->capture_default_str();
  app.add_option("--s", a->s, "split number")->capture_default_str();
  app.add_option("--w", a->w, "group width (hs_resnet: w0)")->capture_default_str();
  app.add_option("--ratio", a->ratio, "carry ratio")->capture_default_str();
  app.add_flag("--carry-leading", a->carry_leading, "carry the leading channels");
  app.add_option("--split", a->split, "per-group proportions of the s·w channels, e.g. 1,1,2,4")
      ->delimiter(',');
  app.add_option("--stride", a->stride, "1 or 2 (hs_block, hs_bottleneck)")->capture_default_str();
  app.add_option("--batch", a->batch, "batch size")->capture_default_str();
  app.add_option("--size", a->size, "input height and width")->capture_default_str();
  app.add_option("--seed", a->seed, "seed of weights and input")->capture_default_str();
  return [a]() { return run_gradcheck(*a, &std::cout).ok ? 0 : 1; };
}

}  // namespace hs::tools
