#include "nn/res2net_block.h"

#include <sstream>
#include <vector>

#include "autograd/functions.h"
#include "nn/batch_norm.h"
#include "nn/conv2d.h"
#include "nn/layers.h"

namespace hs::nn {

Res2NetHierarchy::Res2NetHierarchy(const Res2NetBlockOptions& o) : opts(o) {
  HS_CHECK(o.scale >= 2, "Res2NetBlock: scale must be >= 2, got ", o.scale);
  HS_CHECK(o.width >= 1, "Res2NetBlock: width must be >= 1, got ", o.width);
  HS_CHECK(o.cardinality >= 1 && o.width % o.cardinality == 0, "Res2NetBlock: cardinality ",
           o.cardinality, " must be >= 1 and divide the width ", o.width);
  HS_CHECK(o.stride >= 1, "Res2NetBlock: stride must be >= 1, got ", o.stride);
  HS_CHECK(o.stage || o.stride == 1,
           "Res2NetBlock: a strided block must be a stage block "
           "(its last split would pass through unstrided), got stride ",
           o.stride);
  convs = std::make_shared<Sequential>();
  bns = std::make_shared<Sequential>();
  for (std::int64_t i = 0; i + 1 < o.scale; ++i) {
    Conv2dOptions conv;
    conv.in_channels = o.width;
    conv.out_channels = o.width;
    conv.kernel_size = 3;
    conv.stride = o.stride;
    conv.padding = 1;
    conv.groups = o.cardinality;
    convs->push_back(std::make_shared<Conv2d>(conv));
    bns->push_back(std::make_shared<BatchNorm2d>(o.width, 0.1, 1e-5, /*fuse_relu=*/true));
  }
  if (o.stage) pool = std::make_shared<AvgPool2d>(3, o.stride, 1);
}

Variable Res2NetHierarchy::forward(const Variable& x) const {
  const std::int64_t channels = opts.scale * opts.width;
  HS_CHECK(x.dim() == 4, "Res2NetBlock: input must be [N,C,H,W], got ", x.shape());
  HS_CHECK(x.size(1) == channels, "Res2NetBlock: input has ", x.size(1), " channels but scale ",
           opts.scale, " x width ", opts.width, " = ", channels, " (input ", x.shape(), ")");
  const std::vector<Variable> xs = split(x, std::vector<std::int64_t>(opts.scale, opts.width), 1);
  std::vector<Variable> ys;
  ys.reserve(xs.size());
  for (std::size_t i = 0; i + 1 < xs.size(); ++i) {
    const Variable input = i == 0 || opts.stage ? xs[i] : add(xs[i], ys.back());
    ys.push_back(bns->at<BatchNorm2d>(i)(convs->at<Conv2d>(i)(input)));
  }
  ys.push_back(pool ? (*pool)(xs.back()) : xs.back());
  return cat(ys, 1);
}

Res2NetBlock::Res2NetBlock(const Res2NetBlockOptions& opts) : hierarchy_(opts) {
  register_module("convs", hierarchy_.convs);
  register_module("bns", hierarchy_.bns);
  if (hierarchy_.pool) register_module("pool", hierarchy_.pool);
}

void Res2NetBlock::fold_own_batch_norms() { fold_each_into(*hierarchy_.bns, *hierarchy_.convs); }

std::string Res2NetHierarchy::describe() const {
  std::ostringstream os;
  os << "scale=" << opts.scale << ", width=" << opts.width << ", cardinality=" << opts.cardinality
     << ", stride=" << opts.stride << (opts.stage ? ", stage" : "");
  return os.str();
}

}  // namespace hs::nn
