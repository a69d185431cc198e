// Block diagrams (tools/block_diagram.h, hsnet explain): the SVG parsed back — its nodes and
// edges counted and their channel counts summed — against the block's own plan, for the HS
// and Res2Net blocks, stride 1 and 2, even and uneven widths; and the command's errors.
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "cli_test_util.h"
#include "tools/block_diagram.h"

using namespace hs;
using namespace hs::tools;

namespace {

struct ParsedSvg {
  std::map<std::string, std::string> node_kinds;  // data-id -> kind
  std::int64_t edges = 0;
  std::map<std::string, std::int64_t> into, out_of;  // channels summed per node
};

ParsedSvg parse(const std::string& svg) {
  ParsedSvg p;
  const std::regex node(R"re(<g class="node (\w+)" data-id="(\w+)">)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), node); it != std::sregex_iterator();
       ++it)
    p.node_kinds[(*it)[2]] = (*it)[1];
  const std::regex edge(
      R"re(<g class="edge" data-from="(\w+)" data-to="(\w+)" data-channels="(\d+)">)re");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), edge); it != std::sregex_iterator();
       ++it) {
    ++p.edges;
    const std::int64_t c = std::stoll((*it)[3]);
    p.out_of[(*it)[1]] += c;
    p.into[(*it)[2]] += c;
    REQUIRE(p.node_kinds.count((*it)[1]) + p.node_kinds.count((*it)[2]) <= 2);
  }
  return p;
}

std::int64_t count_kind(const ParsedSvg& p, const std::string& kind) {
  std::int64_t n = 0;
  for (const auto& [_, k] : p.node_kinds) n += k == kind;
  return n;
}

void check_hs(const nn::HSBlockOptions& o) {
  const nn::HSBlock block(o);
  const ParsedSvg p = parse(diagram_svg(hs_block_diagram(block)));
  const auto& plan = block.plan();
  const std::int64_t s = static_cast<std::int64_t>(plan.size());
  std::int64_t carries = 0;
  for (const auto& g : plan) carries += g.carry_in > 0;
  const bool strided = o.stride == 2;
  INFO(block.extra_repr());
  CHECK(count_kind(p, "tensor") == s + 2);                        // input, s splits, output
  CHECK(count_kind(p, "op") == (s - 1) + (strided ? 1 : 0) + 1);  // convs, pool, concatenation
  // input -> x_i, x_i -> conv or pool, carries, every group -> cat, cat -> output
  CHECK(p.edges == s + (s - 1) + (strided ? 1 : 0) + carries + s + 1);
  CHECK(p.out_of.at("input") == block.channels());
  CHECK(p.into.at("cat") == block.channels());
  for (std::int64_t i = 1; i < s; ++i) {
    INFO("group " << i + 1);
    CHECK(p.into.at("op" + std::to_string(i)) == plan[i].conv_channels);
    CHECK(p.out_of.at("op" + std::to_string(i)) == plan[i].conv_channels);
  }
}

void check_res2net(const nn::Res2NetBlockOptions& o) {
  const ParsedSvg p = parse(diagram_svg(res2net_block_diagram(nn::Res2NetBlock(o))));
  INFO("scale " << o.scale << " stage " << o.stage);
  CHECK(count_kind(p, "tensor") == o.scale + 2);
  CHECK(count_kind(p, "add") == (o.stage ? 0 : o.scale - 2));
  CHECK(count_kind(p, "op") == (o.scale - 1) + (o.stage ? 1 : 0) + 1);
  const std::int64_t adds = o.stage ? 0 : o.scale - 2;
  CHECK(p.edges == o.scale + (o.scale - 1) + 2 * adds + (o.stage ? 1 : 0) + o.scale + 1);
  CHECK(p.into.at("cat") == o.scale * o.width);
  for (std::int64_t i = 1; !o.stage && i + 1 < o.scale; ++i)
    CHECK(p.into.at("add" + std::to_string(i)) == 2 * o.width);  // x_i and y_{i-1}
}

}  // namespace

TEST_CASE("explain: the HS diagram's nodes and channel counts follow the block's plan") {
  nn::HSBlockOptions o;
  o.splits = 4;
  o.width = 8;
  check_hs(o);
  o.carry_ratio = 0.25;
  o.carry_leading = true;
  check_hs(o);
  o.stride = 2;
  check_hs(o);
  nn::HSBlockOptions uneven;
  uneven.widths = {1, 1, 2, 4};
  uneven.carry_ratio = 0.5;
  check_hs(uneven);
}

TEST_CASE("explain: the Res2Net diagram has an addition per middle split, a pool in stage blocks") {
  nn::Res2NetBlockOptions o;
  o.scale = 4;
  o.width = 26;
  check_res2net(o);
  o.scale = 2;
  check_res2net(o);
  o.scale = 6;
  o.stride = 2;
  o.stage = true;
  check_res2net(o);
}

TEST_CASE("explain: the SK diagram has a branch per dilation, the sum, attention and selection") {
  for (std::int64_t branches : {2, 3}) {
    nn::SelectiveKernelOptions o;
    o.in_channels = o.out_channels = 16;
    o.branches = branches;
    o.attention = 8;
    const ParsedSvg p = parse(diagram_svg(sk_block_diagram(nn::SelectiveKernel(o))));
    INFO(branches << " branches");
    CHECK(count_kind(p, "tensor") == 2);
    CHECK(count_kind(p, "add") == 1);
    CHECK(count_kind(p, "op") == branches + 2);  // branches, attention, weighted sum
    CHECK(p.edges == 3 * branches + 3);
    CHECK(p.into.at("sum") == branches * 16);
    CHECK(p.into.at("select") == 2 * branches * 16);  // the branches and their weights
  }
}

TEST_CASE("hsnet explain prints the bookkeeping and writes the SVG; bad options are errors") {
  const std::string path = "test_explain_block.svg";
  std::remove(path.c_str());
  const auto [status, out] =
      hs::test::run_hsnet("explain --block hs --s 4 --w 8 --ratio 0.5 --out " + path);
  INFO(out);
  REQUIRE(status == 0);
  CHECK(out.find("    3      8         4     12          6          6") != std::string::npos);
  // Convs 8², 12², 14² channels x 9 taps = 3636 weights (+ 2·34 BN) and 3636 MACs per pixel.
  CHECK(out.find("params=3704 macs=3723264 (input 32x32)") != std::string::npos);
  std::ifstream in(path);
  std::stringstream svg;
  svg << in.rdbuf();
  CHECK(svg.str().rfind("<svg", 0) == 0);
  CHECK(parse(svg.str()).into.at("cat") == 32);
  std::remove(path.c_str());

  const auto [res2net_status, res2net_out] =
      hs::test::run_hsnet("explain --block res2net --s 4 --w 26");
  CHECK(res2net_status == 0);
  CHECK(res2net_out.find("x1 + y0") != std::string::npos);
  CHECK(res2net_out.find("passes through") != std::string::npos);

  const auto [bad_block, bad_out] = hs::test::run_hsnet("explain --block vgg");
  CHECK(bad_block == 2);
  CHECK(bad_out.find("--block must be hs, res2net or sk, got 'vgg'") != std::string::npos);
  const auto [bad_ratio, ratio_out] = hs::test::run_hsnet("explain --block hs --ratio 1.5");
  CHECK(bad_ratio == 2);
  CHECK(ratio_out.find("carry ratio r must be in [0, 1)") != std::string::npos);
}
