#include "nn/conv2d.h"

#include <sstream>

#include "autograd/conv2d.h"
#include "autograd/functions.h"
#include "autograd/grad_mode.h"
#include "nn/init.h"
#include "ops/conv2d.h"
#include "ops/elementwise.h"

namespace hs::nn {

Conv2d::Conv2d(const Conv2dOptions& o) : opts_(o) {
  HS_CHECK(o.in_channels > 0 && o.out_channels > 0 && o.kernel_size > 0, "Conv2d: channels (",
           o.in_channels, " -> ", o.out_channels, ") and kernel size (", o.kernel_size,
           ") must be positive");
  HS_CHECK(o.groups > 0 && o.in_channels % o.groups == 0 && o.out_channels % o.groups == 0,
           "Conv2d: groups ", o.groups, " must divide in_channels ", o.in_channels,
           " and out_channels ", o.out_channels);
  weight = Variable(kaiming_normal_fan_out(
      {o.out_channels, o.in_channels / o.groups, o.kernel_size, o.kernel_size}));
  register_parameter("weight", &weight);
  if (o.bias) {
    bias = Variable(zeros({o.out_channels}));
    register_parameter("bias", &bias);
  }
}

Variable Conv2d::forward(const Variable& x) {
  const auto params =
      ops::Conv2dParams::symmetric(opts_.stride, opts_.padding, opts_.dilation, opts_.groups);
  if (output_relu_ && !grad_enabled())
    return Variable(ops::conv2d_forward(x.data(), weight.data(),
                                        bias.defined() ? bias.data() : Tensor(), params,
                                        ops::Conv2dActivation::relu));
  const Variable y = conv2d(x, weight, bias, params);
  return output_relu_ ? relu(y) : y;
}

void Conv2d::scale_output(const Tensor& scale, const Tensor& shift) {
  const std::int64_t out = opts_.out_channels;
  HS_CHECK(scale.shape() == Shape{out} && shift.shape() == Shape{out},
           "Conv2d: scale_output needs ", "scale and shift of [", out,
           "] (the output channels), got ", scale.shape(), " and ", shift.shape());
  const Tensor& w = weight.data();
  const Tensor s = scale.to(w.dtype()).to(w.device());
  const Tensor b = shift.to(w.dtype()).to(w.device());
  weight = Variable(ops::mul(w, s.reshape({out, 1, 1, 1})), true);
  if (bias.defined()) {
    bias = Variable(ops::add(ops::mul(bias.data(), s), b), true);
  } else {
    bias = Variable(b.clone(), true);
    register_parameter("bias", &bias);
    opts_.bias = true;
  }
}

std::int64_t Conv2d::macs(const Shape&, const Shape& output) const {
  return output.numel() * (opts_.in_channels / opts_.groups) * opts_.kernel_size *
         opts_.kernel_size;
}

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << opts_.in_channels << ", " << opts_.out_channels << ", kernel_size=" << opts_.kernel_size
     << ", stride=" << opts_.stride << ", padding=" << opts_.padding;
  if (opts_.dilation != 1) os << ", dilation=" << opts_.dilation;
  if (opts_.groups != 1) os << ", groups=" << opts_.groups;
  if (!opts_.bias) os << ", bias=False";
  if (output_relu_) os << ", ReLU of a folded batch norm";
  return os.str();
}

}  // namespace hs::nn
