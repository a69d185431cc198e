// HSBlock: channel bookkeeping over a grid of split numbers, widths, carry ratios and carry
// sides (checked against a plan computed here), output shapes for stride 1 and 2, the
// forward values against a reference assembled from the public differentiable functions
// with the block's own weights (which proves which channels are carried), parameter names,
// and every configuration error.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "autograd/batch_norm.h"
#include "autograd/conv2d.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "autograd/pooling.h"
#include "nn/hs_block.h"
#include "nn/init.h"
#include "nn/summary.h"
#include "test_util/require_values.h"

using namespace hs;
using namespace hs::nn;
using hs::test::require_values;

namespace {

// The bookkeeping the spec prescribes, computed group by group from the widths alone.
std::vector<HSGroupPlan> expected_plan(const std::vector<std::int64_t>& widths, double r,
                                       bool strided) {
  std::vector<HSGroupPlan> plan;
  std::int64_t carry = 0;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    HSGroupPlan g;
    g.width = widths[i];
    if (i == 0) {
      g.to_output = widths[i];
    } else if (strided) {
      g.conv_channels = widths[i];
      g.to_output = widths[i];
    } else {
      g.carry_in = carry;
      g.conv_channels = widths[i] + carry;
      const bool last = i + 1 == widths.size();
      g.carry_out = last ? 0 : static_cast<std::int64_t>(std::floor(r * g.conv_channels));
      g.to_output = g.conv_channels - g.carry_out;
      carry = g.carry_out;
    }
    plan.push_back(g);
  }
  return plan;
}

void require_plan(const std::vector<HSGroupPlan>& actual,
                  const std::vector<HSGroupPlan>& expected) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("group " << i + 1);
    CHECK(actual[i].width == expected[i].width);
    CHECK(actual[i].carry_in == expected[i].carry_in);
    CHECK(actual[i].conv_channels == expected[i].conv_channels);
    CHECK(actual[i].carry_out == expected[i].carry_out);
    CHECK(actual[i].to_output == expected[i].to_output);
  }
}

std::int64_t sum_of(const std::vector<std::int64_t>& v) {
  std::int64_t s = 0;
  for (std::int64_t x : v) s += x;
  return s;
}

HSBlockOptions options(std::int64_t s, std::int64_t w, double r, bool leading = false,
                       std::int64_t stride = 1) {
  HSBlockOptions o;
  o.splits = s;
  o.width = w;
  o.carry_ratio = r;
  o.carry_leading = leading;
  o.stride = stride;
  return o;
}

HSBlockOptions uneven(std::vector<std::int64_t> widths, double r, bool leading = false,
                      std::int64_t stride = 1) {
  HSBlockOptions o;
  o.widths = std::move(widths);
  o.carry_ratio = r;
  o.carry_leading = leading;
  o.stride = stride;
  return o;
}

std::map<std::string, Variable> parameters_by_name(const Module& m) {
  std::map<std::string, Variable> out;
  for (auto& [name, p] : m.named_parameters()) out[name] = p;
  return out;
}

std::map<std::string, Tensor> buffers_by_name(const Module& m) {
  std::map<std::string, Tensor> out;
  for (auto& [name, b] : m.named_buffers()) out[name] = b;
  return out;
}

// Stride-1 HS block assembled by hand from split / cat / narrow / conv2d / batch_norm_relu
// with the block's parameters; `running` holds the running statistics to use (and update).
Variable reference_forward(const Variable& x, const std::vector<std::int64_t>& widths, double r,
                           bool leading, const std::map<std::string, Variable>& params,
                           std::map<std::string, Tensor>& running, bool training) {
  const std::vector<Variable> xs = split(x, widths, 1);
  std::vector<Variable> outs = {xs[0]};
  Variable carry;
  for (std::size_t i = 1; i < widths.size(); ++i) {
    const std::string k = std::to_string(i - 1);
    const Variable input = carry.defined() ? cat({xs[i], carry}, 1) : xs[i];
    const std::int64_t c = input.size(1);
    const Variable conv = conv2d(input, params.at("convs." + k + ".weight"), Variable(), 1, 1);
    const Variable y =
        batch_norm_relu(conv, params.at("bns." + k + ".weight"), params.at("bns." + k + ".bias"),
                        running.at("bns." + k + ".running_mean"),
                        running.at("bns." + k + ".running_var"), training);
    const std::int64_t carried =
        i + 1 < widths.size() ? static_cast<std::int64_t>(std::floor(r * c)) : 0;
    if (carried == 0) {
      outs.push_back(y);
      carry = Variable();
    } else if (leading) {
      carry = narrow(y, 1, 0, carried);
      outs.push_back(narrow(y, 1, carried, c - carried));
    } else {
      outs.push_back(narrow(y, 1, 0, c - carried));
      carry = narrow(y, 1, c - carried, carried);
    }
  }
  return cat(outs, 1);
}

// Gives the BN layers non-trivial affine parameters and running statistics.
void randomize_batch_norms(Module& block, Generator& gen) {
  for (auto& [name, p] : block.named_parameters()) {
    if (name.rfind("bns.", 0) != 0) continue;
    const bool gamma = name.size() > 7 && name.substr(name.size() - 7) == ".weight";
    Tensor values = gamma ? rand(p.shape(), gen, p.dtype(), 0.5, 1.5)
                          : rand(p.shape(), gen, p.dtype(), -0.5, 0.5);
    Tensor(p.data()).copy_(values);
  }
  for (auto& [name, b] : block.named_buffers()) {
    if (name.find("running_mean") != std::string::npos)
      Tensor(b).copy_(rand(b.shape(), gen, b.dtype(), -0.3, 0.3));
    else if (name.find("running_var") != std::string::npos)
      Tensor(b).copy_(rand(b.shape(), gen, b.dtype(), 0.5, 2.0));
  }
}

}  // namespace

TEST_CASE("HSBlock: plan and output shape over s, w, r and carry side") {
  Generator gen(1);
  const Tensor input_2x5x5_base = rand({2, 8 * 8, 5, 5}, gen, DType::f32, -1.0, 1.0);
  int configs = 0;
  for (std::int64_t s = 2; s <= 8; ++s) {
    for (std::int64_t w = 1; w <= 8; ++w) {
      for (double r : {0.0, 0.25, 0.5, 0.75}) {
        for (bool leading : {false, true}) {
          INFO("s=" << s << " w=" << w << " r=" << r << " leading=" << leading);
          HSBlock block(options(s, w, r, leading));
          const std::vector<std::int64_t> widths(s, w);
          const std::vector<HSGroupPlan> expected = expected_plan(widths, r, false);
          require_plan(block.plan(), expected);
          REQUIRE(block.channels() == s * w);

          // Invariants: the outputs tile the channels, every carry is consumed, and the
          // convolution sizes fix the parameter count.
          std::int64_t out = 0, params = 0;
          for (std::size_t i = 0; i < expected.size(); ++i) {
            out += expected[i].to_output;
            if (i + 1 < expected.size()) REQUIRE(expected[i].carry_out == expected[i + 1].carry_in);
            const std::int64_t c = expected[i].conv_channels;
            params += 9 * c * c + 2 * c;
          }
          REQUIRE(out == s * w);
          REQUIRE(block.num_parameters() == params);
          ++configs;

          NoGradGuard no_grad;
          const Variable x(input_2x5x5_base.narrow(1, 0, s * w));
          REQUIRE(block(x).shape() == Shape{2, s * w, 5, 5});
        }
      }
    }
  }
  REQUIRE(configs == 7 * 8 * 4 * 2);
}

TEST_CASE("HSBlock: the paper's examples of carried channels") {
  // s=4, w=8, r=0.5: c = 8, 12, 14; carries 4, 6; outputs 8, 4, 6, 14.
  HSBlock block(options(4, 8, 0.5));
  const auto& p = block.plan();
  REQUIRE(p[1].conv_channels == 8);
  REQUIRE(p[1].carry_out == 4);
  REQUIRE(p[2].conv_channels == 12);
  REQUIRE(p[2].carry_out == 6);
  REQUIRE(p[3].conv_channels == 14);
  REQUIRE(p[3].carry_out == 0);
  REQUIRE(p[0].to_output + p[1].to_output + p[2].to_output + p[3].to_output == 32);
  // r = 0 leaves the groups independent: each conv sees only its own split.
  HSBlock independent(options(4, 8, 0.0));
  for (std::size_t i = 1; i < 4; ++i) {
    REQUIRE(independent.plan()[i].conv_channels == 8);
    REQUIRE(independent.plan()[i].carry_in == 0);
  }
  // floor: r = 0.25 of c = 3 carries nothing, so group 3 starts without a carry.
  HSBlock tiny(options(3, 3, 0.25));
  REQUIRE(tiny.plan()[1].carry_out == 0);
  REQUIRE(tiny.plan()[2].carry_in == 0);
  REQUIRE(tiny.plan()[2].conv_channels == 3);
}

TEST_CASE("HSBlock: uneven group widths") {
  Generator gen(2);
  const std::vector<std::vector<std::int64_t>> cases = {
      {3, 1, 4, 2}, {1, 5}, {2, 2, 7}, {6, 1, 1, 1, 3}};
  for (const auto& widths : cases) {
    for (double r : {0.25, 0.5, 0.75}) {
      for (std::int64_t stride : {1, 2}) {
        INFO("widths " << Shape(widths) << " r=" << r << " stride=" << stride);
        HSBlock block(uneven(widths, r, false, stride));
        require_plan(block.plan(), expected_plan(widths, r, stride == 2));
        const std::int64_t c = sum_of(widths);
        REQUIRE(block.channels() == c);
        const Variable x(rand({2, c, 5, 4}, gen, DType::f32, -1.0, 1.0));
        const Variable y = block(x);
        REQUIRE(y.shape() == (stride == 1 ? Shape{2, c, 5, 4} : Shape{2, c, 3, 2}));
      }
    }
  }
  // Explicit widths override splits and width.
  HSBlockOptions o = uneven({2, 3}, 0.5);
  o.splits = 7;
  o.width = 9;
  HSBlock block(o);
  REQUIRE(block.plan().size() == 2);
  REQUIRE(block.channels() == 5);
}

TEST_CASE("HSBlock: stride 2 halves H and W (rounding up) and keeps the channels") {
  Generator gen(3);
  for (auto [h, w] :
       {std::pair<std::int64_t, std::int64_t>{4, 4}, {5, 5}, {7, 4}, {1, 3}, {6, 9}}) {
    HSBlock block(options(3, 2, 0.5, false, 2));
    const Variable x(rand({2, 6, h, w}, gen, DType::f32, -1.0, 1.0));
    const Variable y = block(x);
    INFO("input " << x.shape());
    REQUIRE(y.shape() == Shape{2, 6, (h + 1) / 2, (w + 1) / 2});
  }
  // Group 1 is the 3x3/2 average pool of x_1 (padding counted), the others convolutions
  // of their own split only: no carry.
  HSBlock block(options(3, 2, 0.5, false, 2));
  block.to(DType::f64);
  randomize_batch_norms(block, gen);
  for (const HSGroupPlan& g : block.plan()) REQUIRE(g.carry_in == 0);
  const Variable x(rand({2, 6, 5, 6}, gen, DType::f64, -1.0, 1.0));
  const Variable y = block(x);
  require_values(narrow(y, 1, 0, 2).data().contiguous(),
                 avg_pool2d(narrow(x, 1, 0, 2), 3, ops::Size2(2), 1).data(), 1e-12);
  block.eval();
  const Variable y_eval = block(x);
  const auto params = parameters_by_name(block);
  const auto buffers = buffers_by_name(block);
  for (int i = 1; i < 3; ++i) {
    const std::string k = std::to_string(i - 1);
    const Variable conv =
        conv2d(narrow(x, 1, 2 * i, 2), params.at("convs." + k + ".weight"), Variable(), 2, 1);
    const Variable expected = batch_norm_relu(
        conv, params.at("bns." + k + ".weight"), params.at("bns." + k + ".bias"),
        buffers.at("bns." + k + ".running_mean"), buffers.at("bns." + k + ".running_var"), false);
    require_values(narrow(y_eval, 1, 2 * i, 2).data().contiguous(), expected.data(), 1e-12);
  }
}

TEST_CASE("HSBlock: forward values match a hand-assembled reference (both carry sides)") {
  const std::vector<std::int64_t> widths = {3, 2, 4, 3};
  for (double r : {0.5, 0.25, 0.75}) {
    for (bool leading : {false, true}) {
      for (bool training : {true, false}) {
        INFO("r=" << r << " leading=" << leading << " training=" << training);
        Generator gen(4);
        manual_seed(40);
        HSBlock block(uneven(widths, r, leading));
        block.to(DType::f64);
        randomize_batch_norms(block, gen);
        block.train(training);
        const Variable x(rand({2, 12, 5, 4}, gen, DType::f64, -1.0, 1.0));

        std::map<std::string, Tensor> running;
        for (auto& [name, b] : block.named_buffers()) running[name] = b.clone();
        const Variable expected =
            reference_forward(x, widths, r, leading, parameters_by_name(block), running, training);
        const Variable y = block(x);
        require_values(y.data(), expected.data(), 1e-12);

        // Both updated their running statistics once, in the same way (training only).
        for (auto& [name, b] : block.named_buffers()) {
          if (b.dtype() != DType::f64) continue;
          INFO(name);
          require_values(b, running.at(name), 1e-12);
        }
      }
    }
  }
}

TEST_CASE("HSBlock: the carry side changes the result") {
  // Same weights (same seed), same input: carrying the leading or the trailing channels of
  // y_2 feeds different channels into group 3.
  Generator gen(5);
  const Variable x(rand({2, 12, 4, 4}, gen, DType::f32, -1.0, 1.0));
  manual_seed(50);
  HSBlock trailing(options(3, 4, 0.5, false));
  manual_seed(50);
  HSBlock leading(options(3, 4, 0.5, true));
  const Tensor a = trailing(x).data(), b = leading(x).data();
  // Group 1 passes through unchanged on both sides.
  require_values(a.narrow(1, 0, 4).contiguous(), x.data().narrow(1, 0, 4).contiguous(), 0.0);
  require_values(b.narrow(1, 0, 4).contiguous(), x.data().narrow(1, 0, 4).contiguous(), 0.0);
  const std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  double diff = 0;
  for (std::size_t i = 0; i < va.size(); ++i) diff = std::max(diff, std::abs(va[i] - vb[i]));
  REQUIRE(diff > 1e-3);
}

TEST_CASE("HSBlock: parameter, buffer and module names") {
  HSBlock block(options(3, 2, 0.5));
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  for (auto& [name, p] : block.named_parameters()) {
    names.push_back(name);
    shapes.push_back(p.shape());
  }
  REQUIRE(names == std::vector<std::string>{"convs.0.weight", "convs.1.weight", "bns.0.weight",
                                            "bns.0.bias", "bns.1.weight", "bns.1.bias"});
  // c_2 = 2, c_3 = 2 + 1.
  REQUIRE(shapes == std::vector<Shape>{{2, 2, 3, 3}, {3, 3, 3, 3}, {2}, {2}, {3}, {3}});
  std::vector<std::string> buffers;
  for (auto& [name, b] : block.named_buffers()) buffers.push_back(name);
  REQUIRE(buffers == std::vector<std::string>{"bns.0.running_mean", "bns.0.running_var",
                                              "bns.0.num_batches_tracked", "bns.1.running_mean",
                                              "bns.1.running_var", "bns.1.num_batches_tracked"});

  HSBlock strided(options(3, 2, 0.5, false, 2));
  std::vector<std::string> modules;
  for (auto& [name, m] : strided.named_modules()) modules.push_back(name);
  REQUIRE(modules == std::vector<std::string>{"", "convs", "convs.0", "convs.1", "bns", "bns.0",
                                              "bns.1", "pool"});
  REQUIRE(strided.num_parameters() == 2 * (9 * 2 * 2 + 2 * 2));
  REQUIRE(strided.extra_repr() == "s=3, widths=[2,2,2], r=0.5, stride=2");
  REQUIRE(HSBlock(uneven({1, 2}, 0.25, true)).extra_repr() ==
          "s=2, widths=[1,2], r=0.25, stride=1, carry=leading");
}

TEST_CASE("HSBlock: plan_str lists every group") {
  HSBlock block(options(4, 8, 0.5));
  const std::string table = block.plan_str();
  REQUIRE_THAT(table, Catch::Contains("carry_in"));
  REQUIRE_THAT(table, Catch::Contains("total in=32 out=32"));
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = table.find('\n', start)) != std::string::npos;
       start = end + 1)
    lines.push_back(table.substr(start, end - start));
  REQUIRE(lines.size() == 1 + 4 + 1);
  // Columns line up whatever the number of digits (c = 8, 12, 14 here).
  for (std::size_t i = 1; i <= 4; ++i) REQUIRE(lines[i].size() == lines[0].size());
  REQUIRE(lines[3] == "    3      8         4     12          6          6");
  REQUIRE_THAT(HSBlock(options(2, 1, 0.5, false, 2)).plan_str(), Catch::Contains("pool"));
}

TEST_CASE("HSBlock: the summary counts each group's convolution") {
  HSBlock block(options(4, 8, 0.5));
  const Summary s = summarize(block, {1, 32, 6, 5});
  // conv MACs: H·W·c²·9 for c = 8, 12, 14.
  REQUIRE(s.total_macs == 6 * 5 * 9 * (8 * 8 + 12 * 12 + 14 * 14));
  REQUIRE(s.total_params == 9 * (64 + 144 + 196) + 2 * (8 + 12 + 14));
  REQUIRE(s.rows.back().name.empty());
  REQUIRE(s.rows.back().type == "HSBlock");
  REQUIRE(s.rows.back().output == Shape{1, 32, 6, 5});
}

TEST_CASE("HSBlock: configuration and input errors") {
  using Catch::Contains;
  REQUIRE_THROWS_WITH(HSBlock(options(1, 8, 0.5)),
                      Contains("HSBlock") && Contains("s must be >= 2"));
  REQUIRE_THROWS_WITH(HSBlock(options(0, 8, 0.5)), Contains("got 0"));
  REQUIRE_THROWS_WITH(HSBlock(uneven({8}, 0.5)), Contains("HSBlock") && Contains("s >= 2"));
  REQUIRE_THROWS_WITH(HSBlock(options(4, 0, 0.5)),
                      Contains("HSBlock") && Contains("w must be >= 1"));
  REQUIRE_THROWS_WITH(HSBlock(options(4, -2, 0.5)), Contains("got -2"));
  REQUIRE_THROWS_WITH(HSBlock(uneven({3, 0, 2}, 0.5)),
                      Contains("HSBlock") && Contains("width must be >= 1"));
  for (double r : {1.0, -0.1, 1.5, std::nan("")}) {
    INFO("r=" << r);
    REQUIRE_THROWS_WITH(HSBlock(options(4, 8, r)), Contains("HSBlock") && Contains("[0, 1)"));
  }
  REQUIRE_THROWS_WITH(HSBlock(options(4, 8, 0.5, false, 3)),
                      Contains("HSBlock") && Contains("stride must be 1 or 2"));
  REQUIRE_THROWS_WITH(HSBlock(options(4, 8, 0.5, false, 0)), Contains("stride must be 1 or 2"));

  HSBlock block(uneven({3, 1, 4}, 0.5));
  Generator gen(6);
  REQUIRE_THROWS_WITH(block(Variable(rand({2, 9, 4, 4}, gen))),
                      Contains("HSBlock") && Contains("9 channels") && Contains("sum to 8"));
  REQUIRE_THROWS_WITH(block(Variable(rand({8, 4, 4}, gen))),
                      Contains("HSBlock") && Contains("[N,C,H,W]"));
  REQUIRE_THROWS_AS(block(Variable(rand({2, 7, 4, 4}, gen))), hs::Error);
}
