#pragma once
// The GEMM lowering of the CPU convolution (im2col + BLAS). Images go through the GEMMs in
// chunks of `images_per_gemm`, side by side in one column matrix, so that small images still
// make GEMMs wide enough for BLAS to run near its peak. Chunks are spread over the OpenMP
// threads (BLAS single-threaded) when there are enough of them; otherwise they run one after
// the other and BLAS uses the threads. Internal to ops/ (ops/cpu/conv2d.cpp calls it).
#include "ops/conv2d.h"
#include "ops/cpu/conv2d.h"
#include "ops/cpu/planes.h"

namespace hs::ops::detail {

// The GEMM fields of the plan (chunking and GEMM sizes); direct_f32 is left false.
Conv2dCpuPlan conv2d_gemm_plan(const Conv2dGeometry& d);

// y = conv(x, w) + bias (bias null for none), through a ReLU when `relu`; w and y dense.
template <class T>
void conv2d_gemm_forward(const Conv2dGeometry& d, const Conv2dCpuPlan& plan, const Planes<T>& x,
                         const T* w, const T* bias, bool relu, T* y);
// dx (dense) from dy and w (dense).
template <class T>
void conv2d_gemm_backward_input(const Conv2dGeometry& d, const Conv2dCpuPlan& plan,
                                const Planes<T>& dy, const T* w, T* dx);
// dw (dense) from x and dy.
template <class T>
void conv2d_gemm_backward_weight(const Conv2dGeometry& d, const Conv2dCpuPlan& plan,
                                 const Planes<T>& x, const Planes<T>& dy, T* dw);

}  // namespace hs::ops::detail
