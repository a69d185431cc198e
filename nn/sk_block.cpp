#include "nn/sk_block.h"

#include <sstream>
#include <vector>

#include "autograd/functions.h"
#include "autograd/pooling.h"
#include "autograd/softmax.h"

namespace hs::nn {

namespace {

// One branch: conv3x3 (dilation d) -> BN+ReLU, named "conv" and "bn" as timm names them.
class SelectiveKernelPath : public Module {
 public:
  SelectiveKernelPath(const SelectiveKernelOptions& o, std::int64_t dilation) {
    Conv2dOptions c;
    c.in_channels = o.in_channels;
    c.out_channels = o.out_channels;
    c.kernel_size = 3;
    c.stride = o.stride;
    c.padding = dilation;
    c.dilation = dilation;
    c.groups = o.cardinality;
    conv_ = register_module("conv", std::make_shared<Conv2d>(c));
    bn_ = register_module("bn", std::make_shared<BatchNorm2d>(o.out_channels, 0.1, 1e-5, true));
  }
  std::string type_name() const override { return "SelectiveKernelPath"; }
  Variable forward(const Variable& x) override { return (*bn_)((*conv_)(x)); }

 protected:
  void fold_own_batch_norms() override { bn_->fold_into(*conv_); }

 private:
  std::shared_ptr<Conv2d> conv_;
  std::shared_ptr<BatchNorm2d> bn_;
};

std::shared_ptr<Conv2d> conv1x1(std::int64_t in, std::int64_t out) {
  Conv2dOptions c;
  c.in_channels = in;
  c.out_channels = out;
  c.kernel_size = 1;
  return std::make_shared<Conv2d>(c);
}

// The squeeze and select of the attention: pooled [N, C, 1, 1] -> logits [N, M·C, 1, 1]
// through fc_reduce -> BN+ReLU -> fc_select (timm's attn.fc_reduce, attn.bn, attn.fc_select).
class SelectiveKernelAttention : public Module {
 public:
  SelectiveKernelAttention(std::int64_t channels, std::int64_t attention, std::int64_t branches) {
    fc_reduce_ = register_module("fc_reduce", conv1x1(channels, attention));
    bn_ = register_module("bn", std::make_shared<BatchNorm2d>(attention, 0.1, 1e-5, true));
    fc_select_ = register_module("fc_select", conv1x1(attention, channels * branches));
  }
  std::string type_name() const override { return "SelectiveKernelAttention"; }
  Variable forward(const Variable& pooled) override {
    return (*fc_select_)((*bn_)((*fc_reduce_)(pooled)));
  }

 protected:
  void fold_own_batch_norms() override { bn_->fold_into(*fc_reduce_); }

 private:
  std::shared_ptr<Conv2d> fc_reduce_, fc_select_;
  std::shared_ptr<BatchNorm2d> bn_;
};

}  // namespace

std::int64_t make_divisible(double v, std::int64_t divisor) {
  std::int64_t rounded = static_cast<std::int64_t>(v + divisor / 2.0) / divisor * divisor;
  if (rounded < divisor) rounded = divisor;
  if (rounded < 0.9 * v) rounded += divisor;
  return rounded;
}

SelectiveKernel::SelectiveKernel(const SelectiveKernelOptions& o) : opts_(o) {
  HS_CHECK(o.branches >= 2, "SelectiveKernel: needs at least 2 branches, got ", o.branches);
  HS_CHECK(o.attention >= 1, "SelectiveKernel: attention channels must be >= 1, got ", o.attention);
  HS_CHECK(o.cardinality >= 1 && o.in_channels % o.cardinality == 0 &&
               o.out_channels % o.cardinality == 0,
           "SelectiveKernel: cardinality ", o.cardinality, " must divide the channels ",
           o.in_channels, " and ", o.out_channels);
  paths_ = register_module("paths", std::make_shared<Sequential>());
  for (std::int64_t m = 0; m < o.branches; ++m)
    paths_->push_back(std::make_shared<SelectiveKernelPath>(o, m + 1));
  attn_ = register_module(
      "attn", std::make_shared<SelectiveKernelAttention>(o.out_channels, o.attention, o.branches));
}

Variable SelectiveKernel::forward(const Variable& x) {
  HS_CHECK(x.dim() == 4 && x.size(1) == opts_.in_channels, "SelectiveKernel: input must be [N,",
           opts_.in_channels, ",H,W], got ", x.shape());
  std::vector<Variable> branch;
  for (std::size_t m = 0; m < paths_->size(); ++m) branch.push_back((*paths_)[m](x));
  Variable fused = branch[0];
  for (std::size_t m = 1; m < branch.size(); ++m) fused = add(fused, branch[m]);
  const std::int64_t n = x.size(0), c = opts_.out_channels, branches = opts_.branches;
  const Variable logits = (*attn_)(global_avg_pool2d(fused));
  const Variable weights = softmax(view(logits, {n, branches, c, 1, 1}), 1);
  Variable out;
  for (std::int64_t m = 0; m < branches; ++m) {
    const Variable a = reshape(narrow(weights, 1, m, 1), {n, c, 1, 1});
    const Variable weighted = mul(branch[m], a);
    out = m == 0 ? weighted : add(out, weighted);
  }
  return out;
}

std::string SelectiveKernel::extra_repr() const {
  std::ostringstream os;
  os << opts_.in_channels << "->" << opts_.out_channels << ", branches=" << opts_.branches
     << ", cardinality=" << opts_.cardinality << ", stride=" << opts_.stride
     << ", attention=" << opts_.attention;
  return os.str();
}

}  // namespace hs::nn
