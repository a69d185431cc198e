#include "nn/hs_block.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "autograd/functions.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/layers.h"

namespace hs::nn {

namespace {

std::vector<std::int64_t> resolve_widths(const HSBlockOptions& o) {
  if (!o.widths.empty()) {
    HS_CHECK(o.widths.size() >= 2, "HSBlock: needs at least 2 groups (s >= 2), got ",
             o.widths.size(), " widths");
    for (std::int64_t w : o.widths)
      HS_CHECK(w >= 1, "HSBlock: every group width must be >= 1, got ", w);
    return o.widths;
  }
  HS_CHECK(o.splits >= 2, "HSBlock: split number s must be >= 2, got ", o.splits);
  HS_CHECK(o.width >= 1, "HSBlock: group width w must be >= 1, got ", o.width);
  return std::vector<std::int64_t>(o.splits, o.width);
}

std::vector<HSGroupPlan> make_plan(const std::vector<std::int64_t>& widths, double r,
                                   bool strided) {
  std::vector<HSGroupPlan> plan(widths.size());
  std::int64_t carry = 0;
  for (std::size_t i = 0; i < widths.size(); ++i) {
    HSGroupPlan& g = plan[i];
    g.width = widths[i];
    if (i == 0) {
      g.to_output = g.width;  // x_1 passes (or is pooled) unchanged
      continue;
    }
    g.carry_in = strided ? 0 : carry;
    g.conv_channels = g.width + g.carry_in;
    const bool last = i + 1 == widths.size();
    g.carry_out = strided || last ? 0 : static_cast<std::int64_t>(std::floor(r * g.conv_channels));
    g.to_output = g.conv_channels - g.carry_out;
    carry = g.carry_out;
  }
  return plan;
}

}  // namespace

std::vector<std::int64_t> split_widths(const std::vector<double>& split, std::int64_t channels) {
  HS_CHECK(split.size() >= 2, "split: needs at least 2 proportions (s >= 2), got ", split.size());
  double total = 0;
  for (double p : split) {
    HS_CHECK(std::isfinite(p) && p > 0, "split: every proportion must be > 0, got ", p);
    total += p;
  }
  const auto groups = static_cast<std::int64_t>(split.size());
  HS_CHECK(channels >= groups, "split: ", groups, " groups need at least ", groups,
           " channels (one each), but the stage has ", channels);
  std::vector<double> share(split.size());
  std::vector<std::int64_t> widths(split.size());
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < split.size(); ++i) {
    share[i] = static_cast<double>(channels) * split[i] / total;
    widths[i] = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::floor(share[i])));
    sum += widths[i];
  }
  while (sum < channels) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < split.size(); ++i)
      if (share[i] - widths[i] > share[best] - widths[best]) best = i;
    ++widths[best];
    ++sum;
  }
  while (sum > channels) {
    std::size_t best = split.size();
    for (std::size_t i = 0; i < split.size(); ++i)
      if (widths[i] > 1 &&
          (best == split.size() || widths[i] - share[i] >= widths[best] - share[best]))
        best = i;
    --widths[best];
    --sum;
  }
  return widths;
}

HSBlock::HSBlock(const HSBlockOptions& o) : opts_(o), widths_(resolve_widths(o)) {
  HS_CHECK(o.carry_ratio >= 0.0 && o.carry_ratio < 1.0,
           "HSBlock: carry ratio r must be in [0, 1), got ", o.carry_ratio);
  HS_CHECK(o.stride == 1 || o.stride == 2, "HSBlock: stride must be 1 or 2, got ", o.stride);
  for (std::int64_t w : widths_) channels_ += w;
  plan_ = make_plan(widths_, o.carry_ratio, o.stride == 2);
  convs_ = register_module("convs", std::make_shared<Sequential>());
  bns_ = register_module("bns", std::make_shared<Sequential>());
  for (std::size_t i = 1; i < plan_.size(); ++i) {
    const std::int64_t c = plan_[i].conv_channels;
    Conv2dOptions conv;
    conv.in_channels = c;
    conv.out_channels = c;
    conv.kernel_size = 3;
    conv.stride = o.stride;
    conv.padding = 1;
    convs_->push_back(std::make_shared<Conv2d>(conv));
    bns_->push_back(std::make_shared<BatchNorm2d>(c, 0.1, 1e-5, /*fuse_relu=*/true));
  }
  if (o.stride == 2) pool_ = register_module("pool", std::make_shared<AvgPool2d>(3, 2, 1));
}

Variable HSBlock::forward(const Variable& x) {
  HS_CHECK(x.dim() == 4, "HSBlock: input must be [N,C,H,W], got ", x.shape());
  HS_CHECK(x.size(1) == channels_, "HSBlock: input has ", x.size(1),
           " channels but the group widths sum to ", channels_, " (input ", x.shape(), ")");
  const std::vector<Variable> xs = split(x, widths_, 1);
  std::vector<Variable> outs;
  outs.reserve(plan_.size());
  outs.push_back(pool_ ? (*pool_)(xs[0]) : xs[0]);
  Variable carry;
  for (std::size_t i = 1; i < plan_.size(); ++i) {
    const HSGroupPlan& g = plan_[i];
    const Variable input = g.carry_in > 0 ? cat({xs[i], carry}, 1) : xs[i];
    const Variable y = bns_->at<BatchNorm2d>(i - 1)(convs_->at<Conv2d>(i - 1)(input));
    if (g.carry_out == 0) {
      outs.push_back(y);
      carry = Variable();
      continue;
    }
    // One split rather than two narrows: its backward joins the two gradients in one copy,
    // where each narrow would zero a tensor of y's size and the two would then be added.
    const std::int64_t keep = g.to_output;
    if (opts_.carry_leading) {
      const std::vector<Variable> parts = split(y, {g.carry_out, keep}, 1);
      carry = parts[0];
      outs.push_back(parts[1]);
    } else {
      const std::vector<Variable> parts = split(y, {keep, g.carry_out}, 1);
      outs.push_back(parts[0]);
      carry = parts[1];
    }
  }
  return cat(outs, 1);
}

void HSBlock::fold_own_batch_norms() { fold_each_into(*bns_, *convs_); }

std::string HSBlock::extra_repr() const {
  std::ostringstream os;
  os << "s=" << widths_.size() << ", widths=[";
  for (std::size_t i = 0; i < widths_.size(); ++i) os << (i ? "," : "") << widths_[i];
  os << "], r=" << opts_.carry_ratio << ", stride=" << opts_.stride;
  if (opts_.carry_leading) os << ", carry=leading";
  return os.str();
}

std::string HSBlock::plan_str() const {
  // Right-aligned columns as wide as their headings, so rows line up for any channel count.
  std::ostringstream os;
  os << "group  width  carry_in   conv  carry_out  to_output\n";
  for (std::size_t i = 0; i < plan_.size(); ++i) {
    const HSGroupPlan& g = plan_[i];
    const std::string conv = i == 0 ? (pool_ ? "pool" : "-") : std::to_string(g.conv_channels);
    os << std::setw(5) << i + 1 << std::setw(7) << g.width << std::setw(10) << g.carry_in
       << std::setw(7) << conv << std::setw(11) << g.carry_out << std::setw(11) << g.to_output
       << "\n";
  }
  os << "total in=" << channels_ << " out=" << channels_ << "\n";
  return os.str();
}

}  // namespace hs::nn
