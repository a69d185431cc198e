// hsnet explain: how one multi-scale block moves its channels. Prints the block's
// bookkeeping table and writes its data-flow diagram as SVG (tools/block_diagram.h).
//
//   hsnet explain --block hs --s 4 --w 8 --ratio 0.5 --out block.svg
//   hsnet explain --block res2net --s 4 --w 26 --stride 2 --out stage.svg
//   hsnet explain --block sk --s 2 --w 64 --out sk.svg
#include <iostream>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"
#include "nn/summary.h"
#include "tools/block_diagram.h"
#include "tools/commands.h"

namespace hs::tools {

namespace {

struct ExplainArgs {
  std::string block = "hs", out;
  std::int64_t s = 4, w = 8, stride = 1, cardinality = 1, size = 32, attention = 0;
  std::vector<std::int64_t> widths;
  double ratio = 0.5;
  bool carry_leading = false, stage = false;
};

// The block the options describe, and its diagram.
std::pair<std::shared_ptr<nn::Module>, BlockDiagram> block_of(const ExplainArgs& a) {
  if (a.block == "hs") {
    nn::HSBlockOptions o;
    o.splits = a.s;
    o.width = a.w;
    o.widths = a.widths;
    o.carry_ratio = a.ratio;
    o.carry_leading = a.carry_leading;
    o.stride = a.stride;
    auto block = std::make_shared<nn::HSBlock>(o);
    return {block, hs_block_diagram(*block)};
  }
  if (a.block == "res2net") {
    HS_CHECK(a.widths.empty(),
             "explain: --widths applies to --block hs only (Res2Net splits are equal)");
    nn::Res2NetBlockOptions o;
    o.scale = a.s;
    o.width = a.w;
    o.cardinality = a.cardinality;
    o.stride = a.stride;
    o.stage = a.stage || a.stride != 1;
    auto block = std::make_shared<nn::Res2NetBlock>(o);
    return {block, res2net_block_diagram(*block)};
  }
  if (a.block == "sk") {
    HS_CHECK(a.widths.empty(), "explain: --widths applies to --block hs only");
    nn::SelectiveKernelOptions o;
    o.in_channels = o.out_channels = a.w;
    o.branches = a.s;
    o.cardinality = a.cardinality;
    o.stride = a.stride;
    o.attention = a.attention > 0 ? a.attention : nn::make_divisible(a.w / 16.0, 8);
    auto block = std::make_shared<nn::SelectiveKernel>(o);
    return {block, sk_block_diagram(*block)};
  }
  HS_FAIL("explain: --block must be hs, res2net or sk, got '", a.block, "'");
}

}  // namespace

Command add_explain(CLI::App& app) {
  auto a = std::make_shared<ExplainArgs>();
  app.add_option("--block", a->block, "hs | res2net | sk")->capture_default_str();
  app.add_option("--s", a->s, "split number (Res2Net: scale; SK: branches)")->capture_default_str();
  app.add_option("--w", a->w, "channels per split (SK: the block's channels)")
      ->capture_default_str();
  app.add_option("--attention", a->attention,
                 "SK: attention channels (default make_divisible(w/16, 8))");
  app.add_option("--widths", a->widths, "HS: explicit split widths, e.g. 2,2,4,8")->delimiter(',');
  app.add_option("--ratio", a->ratio, "HS: carry ratio r in [0, 1)")->capture_default_str();
  app.add_flag("--carry-leading", a->carry_leading, "HS: carry the leading channels");
  app.add_option("--stride", a->stride, "1, or 2 for a stage's first block")->capture_default_str();
  app.add_option("--cardinality", a->cardinality, "Res2NeXt: groups of each 3x3 convolution")
      ->capture_default_str();
  app.add_flag("--stage", a->stage, "Res2Net: the stage block (no additions, last split pooled)");
  app.add_option("--size", a->size, "input height and width for the MAC count")
      ->capture_default_str();
  app.add_option("--out", a->out, "write the diagram here as SVG");
  return [a]() {
    HS_CHECK(a->size >= 1, "explain: --size must be >= 1, got ", a->size);
    const auto [block, d] = block_of(*a);
    std::cout << d.title << "\n\n" << d.table;
    const nn::Summary summary = nn::summarize(*block, {1, d.channels, a->size, a->size});
    std::cout << "params=" << summary.total_params << " macs=" << summary.total_macs << " (input "
              << a->size << "x" << a->size << ")\n";
    if (!a->out.empty()) {
      write_file_atomic(a->out, diagram_svg(d));
      std::cout << "\nwrote " << a->out << " (" << d.nodes.size() << " nodes, " << d.edges.size()
                << " edges)\n";
    }
    return 0;
  };
}

}  // namespace hs::tools
