#include "ops/elementwise.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>

#include "cuda/elementwise.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"

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

// Calls f(std::integral_constant<Op, op>) so kernels take the op as a template argument:
// the switch in apply_* then folds away and the contiguous loops vectorise.
template <class F>
void with_op(BinaryOp op, F&& f) {
  using B = BinaryOp;
  switch (op) {
    case B::add:
      return f(std::integral_constant<B, B::add>{});
    case B::sub:
      return f(std::integral_constant<B, B::sub>{});
    case B::mul:
      return f(std::integral_constant<B, B::mul>{});
    case B::div:
      return f(std::integral_constant<B, B::div>{});
  }
}

template <class F>
void with_op(UnaryOp op, F&& f) {
  using U = UnaryOp;
  switch (op) {
    case U::neg:
      return f(std::integral_constant<U, U::neg>{});
    case U::relu:
      return f(std::integral_constant<U, U::relu>{});
    case U::exp:
      return f(std::integral_constant<U, U::exp>{});
    case U::log:
      return f(std::integral_constant<U, U::log>{});
    case U::sigmoid:
      return f(std::integral_constant<U, U::sigmoid>{});
    case U::tanh:
      return f(std::integral_constant<U, U::tanh>{});
  }
}

// The output is contiguous and walked in its own order, so its runs have unit stride.
template <class T, BinaryOp Op>
void binary_run(T* out, const T* a, std::int64_t sa, const T* b, std::int64_t sb, std::int64_t n) {
  if (sa == 1 && sb == 1) {
    for (std::int64_t i = 0; i < n; ++i) out[i] = apply_binary<T>(Op, a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = *b;
    for (std::int64_t i = 0; i < n; ++i) out[i] = apply_binary<T>(Op, a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = *a;
    for (std::int64_t i = 0; i < n; ++i) out[i] = apply_binary<T>(Op, av, b[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) out[i] = apply_binary<T>(Op, a[i * sa], b[i * sb]);
  }
}

template <class T>
void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const ElementwiseLoop<3> loop(out.shape(), {out.strides(), a.strides(), b.strides()});
  T* po = out.data<T>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  with_op(op, [&](auto tag) {
    loop.run([&](const auto& off, const auto& st, std::int64_t n) {
      binary_run<T, decltype(tag)::value>(po + off[0], pa + off[1], st[1], pb + off[2], st[2], n);
    });
  });
}

template <class T>
void binary_scalar_cpu(BinaryOp op, const Tensor& out, const Tensor& a, T scalar) {
  const ElementwiseLoop<2> loop(out.shape(), {out.strides(), a.strides()});
  T* po = out.data<T>();
  const T* pa = a.data<T>();
  with_op(op, [&](auto tag) {
    constexpr BinaryOp kOp = decltype(tag)::value;
    loop.run([&](const auto& off, const auto& st, std::int64_t n) {
      T* o = po + off[0];
      const T* x = pa + off[1];
      if (st[1] == 1) {
        for (std::int64_t i = 0; i < n; ++i) o[i] = apply_binary<T>(kOp, x[i], scalar);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[i] = apply_binary<T>(kOp, x[i * st[1]], scalar);
      }
    });
  });
}

template <class T>
void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& x) {
  const ElementwiseLoop<2> loop(out.shape(), {out.strides(), x.strides()});
  T* po = out.data<T>();
  const T* px = x.data<T>();
  with_op(op, [&](auto tag) {
    constexpr UnaryOp kOp = decltype(tag)::value;
    loop.run([&](const auto& off, const auto& st, std::int64_t n) {
      T* o = po + off[0];
      const T* in = px + off[1];
      if (st[1] == 1) {
        for (std::int64_t i = 0; i < n; ++i) o[i] = apply_unary<T>(kOp, in[i]);
      } else {
        for (std::int64_t i = 0; i < n; ++i) o[i] = apply_unary<T>(kOp, in[i * st[1]]);
      }
    });
  });
}

template <class T>
void unary_backward_cpu(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                        const Tensor& y) {
  const ElementwiseLoop<4> loop(out.shape(),
                                {out.strides(), grad.strides(), x.strides(), y.strides()});
  T* po = out.data<T>();
  const T* pg = grad.data<T>();
  const T* px = x.data<T>();
  const T* py = y.data<T>();
  with_op(op, [&](auto tag) {
    constexpr UnaryOp kOp = decltype(tag)::value;
    loop.run([&](const auto& off, const auto& st, std::int64_t n) {
      T* o = po + off[0];
      const T* g = pg + off[1];
      const T* xi = px + off[2];
      const T* yi = py + off[3];
      if (st[1] == 1 && st[2] == 1 && st[3] == 1) {
        for (std::int64_t i = 0; i < n; ++i)
          o[i] = apply_unary_backward<T>(kOp, g[i], xi[i], yi[i]);
      } else {
        for (std::int64_t i = 0; i < n; ++i)
          o[i] = apply_unary_backward<T>(kOp, g[i * st[1]], xi[i * st[2]], yi[i * st[3]]);
      }
    });
  });
}

template <class T>
void add_cpu(const Tensor& dst, const Tensor& src, T alpha) {
  const ElementwiseLoop<2> loop(dst.shape(), {dst.strides(), src.strides()});
  T* pd = dst.data<T>();
  const T* ps = src.data<T>();
  loop.run([&](const auto& off, const auto& st, std::int64_t n) {
    T* d = pd + off[0];
    const T* s = ps + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (std::int64_t i = 0; i < n; ++i) d[i] += alpha * s[i];
    } else if (st[0] == 1 && st[1] == 0) {
      const T sv = alpha * *s;
      for (std::int64_t i = 0; i < n; ++i) d[i] += sv;
    } else {
      for (std::int64_t i = 0; i < n; ++i) d[i * st[0]] += alpha * s[i * st[1]];
    }
  });
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
      name, out,
      [&] { dispatch_dtype(a.dtype(), [&](auto t) { binary_cpu<decltype(t)>(op, out, ae, be); }); },
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
      name, out,
      [&] {
        dispatch_dtype(a.dtype(), [&](auto t) {
          using T = decltype(t);
          binary_scalar_cpu<T>(op, out, a, static_cast<T>(scalar));
        });
      },
      [&] { cuda::binary_scalar(op, out.ref(), a.ref(), scalar); });
  return out;
}

Tensor unary(UnaryOp op, const Tensor& x) {
  const char* name = op_name(op);
  check_defined(name, x, "x");
  check_floating(name, x);
  Tensor out = empty(x.shape(), {x.dtype(), x.device()});
  dispatch(
      name, out,
      [&] { dispatch_floating(x.dtype(), [&](auto t) { unary_cpu<decltype(t)>(op, out, x); }); },
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
      cname, out,
      [&] {
        // The kernel reads an element of x and y either way; an unused one aliases grad.
        const Tensor& xs = x.defined() ? x : grad;
        const Tensor& ys = y.defined() ? y : grad;
        dispatch_floating(grad.dtype(),
                          [&](auto t) { unary_backward_cpu<decltype(t)>(op, out, grad, xs, ys); });
      },
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
      "add_", dst,
      [&] {
        dispatch_dtype(dst.dtype(), [&](auto t) {
          using T = decltype(t);
          add_cpu<T>(dst, se, static_cast<T>(alpha));
        });
      },
      [&] { cuda::axpy(dst.ref(), se.ref(), alpha); });
}

}  // namespace hs::ops
