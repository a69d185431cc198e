#pragma once
// The scalar math of the elementwise operators, shared by the CPU loops and CUDA kernels.
#include <cmath>

#include "core/host_device.h"

namespace hs::ops {

enum class BinaryOp { add, sub, mul, div };
enum class UnaryOp { neg, relu, exp, log, sigmoid, tanh };

template <class T>
HS_HOST_DEVICE T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::add:
      return a + b;
    case BinaryOp::sub:
      return a - b;
    case BinaryOp::mul:
      return a * b;
    case BinaryOp::div:
      return a / b;
  }
  return a;
}

template <class T>
HS_HOST_DEVICE T apply_unary(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::neg:
      return -x;
    case UnaryOp::relu:
      return x > T(0) ? x : T(0);
    case UnaryOp::exp:
      return std::exp(x);
    case UnaryOp::log:
      return std::log(x);
    case UnaryOp::sigmoid:
      return T(1) / (T(1) + std::exp(-x));
    case UnaryOp::tanh:
      return std::tanh(x);
  }
  return x;
}

// d(op)/dx * grad, written in terms of the forward input x and output y (whichever is
// cheaper): relu and sigmoid and tanh use y, exp uses y, log uses x.
template <class T>
HS_HOST_DEVICE T apply_unary_backward(UnaryOp op, T grad, T x, T y) {
  switch (op) {
    case UnaryOp::neg:
      return -grad;
    case UnaryOp::relu:
      return y > T(0) ? grad : T(0);
    case UnaryOp::exp:
      return grad * y;
    case UnaryOp::log:
      return grad / x;
    case UnaryOp::sigmoid:
      return grad * y * (T(1) - y);
    case UnaryOp::tanh:
      return grad * (T(1) - y * y);
  }
  return grad;
}

}  // namespace hs::ops
