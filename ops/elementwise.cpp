// Elementwise operators: checks, broadcasting, output allocation and the dispatch to the CPU
// path (ops/cpu/elementwise.h) or the CUDA one.
#include "ops/elementwise.h"

#include <cmath>
#include <string>

#include "cuda/elementwise.h"
#include "ops/cpu/elementwise.h"
#include "ops/dispatch.h"

namespace hs::ops {
namespace {

using detail::check_defined;
using detail::check_floating;
using detail::check_same_dtype_device;

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::add:
      return "add";
    case BinaryOp::sub:
      return "sub";
    case BinaryOp::mul:
      return "mul";
    case BinaryOp::div:
      return "div";
  }
  return "binary";
}

const char* op_name(UnaryOp op) {
  switch (op) {
    case UnaryOp::neg:
      return "neg";
    case UnaryOp::relu:
      return "relu";
    case UnaryOp::exp:
      return "exp";
    case UnaryOp::log:
      return "log";
    case UnaryOp::sigmoid:
      return "sigmoid";
    case UnaryOp::tanh:
      return "tanh";
  }
  return "unary";
}

// An i64 tensor can only take integral scalars: 2.5 would be silently truncated.
void check_scalar_fits(const char* op, const Tensor& t, double scalar, const char* what) {
  HS_CHECK(is_floating(t.dtype()) || std::nearbyint(scalar) == scalar, op, ": ", what, " ", scalar,
           " is not an integer, but the tensor ", t.shape(), " is i64");
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  check_defined(name, a, "a");
  check_defined(name, b, "b");
  check_same_dtype_device(name, a, b);
  HS_CHECK(op != BinaryOp::div || is_floating(a.dtype()), name, ": needs f32 or f64, got ",
           a.dtype(), " ", a.shape(), " and ", b.shape());
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = empty(shape, {a.dtype(), a.device()});
  const Tensor ae = a.expand(shape);
  const Tensor be = b.expand(shape);
  dispatch(
      name, out, [&] { detail::binary_cpu(op, out, ae, be); },
      [&] { cuda::binary(op, out.ref(), ae.ref(), be.ref()); });
  return out;
}

Tensor binary(BinaryOp op, const Tensor& a, double scalar) {
  const char* name = op_name(op);
  check_defined(name, a, "a");
  HS_CHECK(op != BinaryOp::div || is_floating(a.dtype()), name, ": needs f32 or f64, got ",
           a.dtype(), " ", a.shape());
  check_scalar_fits(name, a, scalar, "scalar");
  Tensor out = empty(a.shape(), {a.dtype(), a.device()});
  dispatch(
      name, out, [&] { detail::binary_scalar_cpu(op, out, a, scalar); },
      [&] { cuda::binary_scalar(op, out.ref(), a.ref(), scalar); });
  return out;
}

Tensor unary(UnaryOp op, const Tensor& x) {
  const char* name = op_name(op);
  check_defined(name, x, "x");
  check_floating(name, x);
  Tensor out = empty(x.shape(), {x.dtype(), x.device()});
  dispatch(
      name, out, [&] { detail::unary_cpu(op, out, x); },
      [&] { cuda::unary(op, out.ref(), x.ref()); });
  return out;
}

Tensor unary_backward(UnaryOp op, const Tensor& grad, const Tensor& x, const Tensor& y) {
  const std::string name = std::string(op_name(op)) + "_backward";
  const char* cname = name.c_str();
  check_defined(cname, grad, "grad");
  check_floating(cname, grad);
  const bool needs_x = op == UnaryOp::log;
  const bool needs_y = op != UnaryOp::log && op != UnaryOp::neg;
  HS_CHECK(!needs_x || x.defined(), name, ": needs the forward input x");
  HS_CHECK(!needs_y || y.defined(), name, ": needs the forward output y");
  for (const Tensor* t : {&x, &y}) {
    if (!t->defined()) continue;
    check_same_dtype_device(cname, grad, *t);
    HS_CHECK(t->shape() == grad.shape(), name, ": grad ", grad.shape(), " and the forward tensor ",
             t->shape(), " differ in shape");
  }
  Tensor out = empty(grad.shape(), {grad.dtype(), grad.device()});
  dispatch(
      cname, out, [&] { detail::unary_backward_cpu(op, out, grad, x, y); },
      [&] {
        cuda::unary_backward(op, out.ref(), grad.ref(), x.defined() ? x.ref() : StridedRef{},
                             y.defined() ? y.ref() : StridedRef{});
      });
  return out;
}

void add_(Tensor& dst, const Tensor& src, double alpha) {
  check_defined("add_", dst, "dst");
  check_defined("add_", src, "src");
  check_same_dtype_device("add_", dst, src);
  check_scalar_fits("add_", dst, alpha, "alpha");
  HS_CHECK(broadcast_shapes(dst.shape(), src.shape(), "add_") == dst.shape(), "add_: src ",
           src.shape(), " does not broadcast to dst ", dst.shape());
  for (int d = 0; d < dst.dim(); ++d)
    HS_CHECK(dst.size(d) <= 1 || dst.stride(d) != 0, "add_: dst ", dst.shape(),
             " is an expanded view (stride 0 in dim ", d, "), so its elements overlap");
  const Tensor se = src.expand(dst.shape());
  dispatch(
      "add_", dst, [&] { detail::add_cpu(dst, se, alpha); },
      [&] { cuda::axpy(dst.ref(), se.ref(), alpha); });
}

}  // namespace hs::ops
