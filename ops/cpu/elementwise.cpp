#include "ops/cpu/elementwise.h"

#include <cstdint>
#include <type_traits>

#include "ops/iteration.h"

namespace hs::ops::detail {
namespace {

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
void binary_loop(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
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
void binary_scalar_loop(BinaryOp op, const Tensor& out, const Tensor& a, T scalar) {
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
void unary_loop(UnaryOp op, const Tensor& out, const Tensor& x) {
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
void unary_backward_loop(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
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
void add_loop(const Tensor& dst, const Tensor& src, T alpha) {
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

}  // namespace

void binary_cpu(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_dtype(a.dtype(), [&](auto t) { binary_loop<decltype(t)>(op, out, a, b); });
}

void binary_scalar_cpu(BinaryOp op, const Tensor& out, const Tensor& a, double scalar) {
  dispatch_dtype(a.dtype(), [&](auto t) {
    using T = decltype(t);
    binary_scalar_loop<T>(op, out, a, static_cast<T>(scalar));
  });
}

void unary_cpu(UnaryOp op, const Tensor& out, const Tensor& x) {
  dispatch_floating(x.dtype(), [&](auto t) { unary_loop<decltype(t)>(op, out, x); });
}

void unary_backward_cpu(UnaryOp op, const Tensor& out, const Tensor& grad, const Tensor& x,
                        const Tensor& y) {
  // The loop reads an element of x and y either way; an unused one aliases grad.
  const Tensor& xs = x.defined() ? x : grad;
  const Tensor& ys = y.defined() ? y : grad;
  dispatch_floating(grad.dtype(),
                    [&](auto t) { unary_backward_loop<decltype(t)>(op, out, grad, xs, ys); });
}

void add_cpu(const Tensor& dst, const Tensor& src, double alpha) {
  dispatch_dtype(dst.dtype(), [&](auto t) {
    using T = decltype(t);
    add_loop<T>(dst, src, static_cast<T>(alpha));
  });
}

}  // namespace hs::ops::detail
