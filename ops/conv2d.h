#pragma once
// 2-D convolution (cross-correlation, as in PyTorch) on NCHW tensors, forward and the three
// backward functions, without autograd. f32 and f64. The CPU path lowers the convolution to
// GEMMs (im2col + BLAS; a 1x1, stride-1, unpadded convolution is a GEMM on the input itself),
// except f32 stride-1 convolutions with few output channels on CPUs with AVX2 and FMA, which
// run a direct kernel (ops/cpu/conv2d_direct.h); the stride-1 backward input is such a forward
// convolution too.
// Its column matrices live in per-thread scratch buffers that grow to the largest size a
// thread has needed and are reused by later calls (held until the thread exits), so a
// training loop does not allocate them again at every step.
#include <cstdint>

#include "core/tensor.h"

namespace hs::ops {

// Stride, zero padding and dilation per axis, and the number of channel groups.
// Requires stride >= 1, padding >= 0, dilation >= 1, groups >= 1 (checked by the operators).
struct Conv2dParams {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dil_h = 1, dil_w = 1;
  std::int64_t groups = 1;

  // The same stride, padding and dilation along both axes.
  static Conv2dParams symmetric(std::int64_t stride, std::int64_t padding,
                                std::int64_t dilation = 1, std::int64_t groups = 1) {
    return {stride, stride, padding, padding, dilation, dilation, groups};
  }
};

// What the forward applies to its output before storing it: nothing, or a ReLU (for
// inference with batch norms folded into the convolutions: the ReLU after a folded batch
// norm then costs no pass over the output of its own).
enum class Conv2dActivation { none, relu };

// y[N, Cout, OH, OW] from x[N, Cin, H, W], w[Cout, Cin/groups, KH, KW] and an optional
// bias[Cout] (undefined for none), then `activation`. x, w, bias share dtype and device; any
// layout: inputs and gradients whose H*W planes are dense (channel slices of a bigger tensor,
// as an HS-block split makes) are read in place, others are copied once.
Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                      const Conv2dParams& params,
                      Conv2dActivation activation = Conv2dActivation::none);

// dL/dx of shape x_shape from dL/dy (grad_out, shaped like the forward's output) and w.
Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const Conv2dParams& params);

// dL/dw of shape w_shape from dL/dy and the forward's input x.
Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const Conv2dParams& params);

// dL/dbias[Cout]: grad_out summed over N, OH and OW.
Tensor conv2d_backward_bias(const Tensor& grad_out);

// How the CPU implementation splits a convolution into GEMMs: the batch is cut into chunks
// of `images_per_gemm` images whose column matrices sit side by side, one GEMM per chunk and
// group. Chunks run in parallel, one per OpenMP thread with single-threaded BLAS, or (too
// few of them) as one chunk with multithreaded BLAS. Exposed so the benchmark can time
// plain GEMMs of the same sizes and the tests can reach every branch.
struct Conv2dCpuPlan {
  bool direct_f32 = false;  // an f32 forward runs the direct kernel instead of the GEMMs
  bool chunks_in_parallel = true;
  std::int64_t images_per_gemm = 1;
  std::int64_t gemm_m = 0;  // output channels per group
  std::int64_t gemm_n = 0;  // images_per_gemm * OH * OW
  std::int64_t gemm_k = 0;  // input channels per group * KH * KW
};

// The plan conv2d_forward and its backwards use for these shapes (checked like the forward)
// at the current hs::num_threads().
Conv2dCpuPlan conv2d_cpu_plan(const Shape& x_shape, const Shape& w_shape,
                              const Conv2dParams& params);

// Which CPU algorithm f32 forward convolutions use: the default picks the direct kernel where
// it applies and is faster; `gemm` never uses it and `direct` uses it wherever it applies
// (stride 1, dilation 1, one group, a kernel larger than 1x1, AVX2 and FMA). For tests and
// benchmarks; the setting is global.
enum class Conv2dCpuAlgorithm { automatic, gemm, direct };
void set_conv2d_cpu_algorithm(Conv2dCpuAlgorithm algorithm);
Conv2dCpuAlgorithm conv2d_cpu_algorithm();

}  // namespace hs::ops
