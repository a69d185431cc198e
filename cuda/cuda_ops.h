#pragma once
// The CUDA side of the operators, called only from ops/ dispatch (never by users). All
// argument checking, broadcasting and output allocation happen in ops/; these functions
// receive operands already shaped for the iteration (broadcast operands carry stride 0)
// and launch kernels on the one hsnet stream. Available only in builds with CUDA
// (HSNET_WITH_CUDA).
#include <cstdint>

#include "core/backend.h"
#include "kernels/elementwise_math.h"
#include "kernels/im2col_index.h"
#include "kernels/pool_index.h"

namespace hs::cuda {

// Registers the CUDA DeviceBackend with the core (called once at load time).
void install_backend();

// out = op(a, b) elementwise; all three have out's sizes (a, b possibly with 0 strides).
void binary(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, const StridedRef& b);
// out = op(a, scalar) elementwise.
void binary_scalar(ops::BinaryOp op, const StridedRef& out, const StridedRef& a, double scalar);
// out = op(x).
void unary(ops::UnaryOp op, const StridedRef& out, const StridedRef& x);
// grad_in = apply_unary_backward(op, grad_out, x, y); x or y may be unused (data null).
void unary_backward(ops::UnaryOp op, const StridedRef& grad_in, const StridedRef& grad_out,
                    const StridedRef& x, const StridedRef& y);
// out (contiguous, `outer * inner` elements) = sum over the reduced extent of `in`, where
// `in` is viewed as [outer, reduced, inner] after ops/ has permuted and made it
// contiguous. Accumulates in double for f32 too.
void sum_reduce(const StridedRef& out, const StridedRef& in, std::int64_t outer,
                std::int64_t reduced, std::int64_t inner);
// dst += alpha * src (same sizes; src may be broadcast with 0 strides).
void axpy(const StridedRef& dst, const StridedRef& src, double alpha);
// Column-major-free wrapper: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b] for row-major
// matrices, b in [0, batch); op transposes when trans_* is set. ld* and stride* in elements.
void gemm(DType dtype, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
          std::int64_t k, double alpha, const void* a, std::int64_t lda, std::int64_t stride_a,
          const void* b, std::int64_t ldb, std::int64_t stride_b, double beta, void* c,
          std::int64_t ldc, std::int64_t stride_c, std::int64_t batch);

// ---- CNN operators. Pointers are device memory holding f32 or f64 (`dtype`) unless
// typed otherwise; outputs are contiguous and fully written by the call. ----

// A batch of [channels, H*W] planes: image n, channel c starts at
// data + n * image_stride + c * channel_stride (in elements), and its H*W elements are
// dense. Channel slices of a bigger NCHW tensor (an HS-block split) are such planes.
struct PlanesRef {
  const void* data = nullptr;
  std::int64_t image_stride = 0;
  std::int64_t channel_stride = 0;
};

// A convolution's sizes: `image` is the im2col geometry of one whole image (all input
// channels); weight [out_channels, image.channels / groups, kernel_h, kernel_w].
struct ConvShape {
  std::int64_t batch = 0;
  std::int64_t out_channels = 0;
  std::int64_t groups = 1;
  ops::Im2colGeometry image{};
};

// y [N, Cout, OH, OW] = conv(x, w) + bias; w contiguous, bias [Cout] contiguous or null.
void conv2d_forward(DType dtype, const ConvShape& shape, PlanesRef x, const void* w,
                    const void* bias, void* y);
// dx [N, Cin, H, W] from dy (planes of [N, Cout, OH, OW]) and w (contiguous).
void conv2d_backward_input(DType dtype, const ConvShape& shape, PlanesRef dy, const void* w,
                           void* dx);
// dw [Cout, Cin / groups, KH, KW] from dy and the forward's input x.
void conv2d_backward_weight(DType dtype, const ConvShape& shape, PlanesRef dy, PlanesRef x,
                            void* dw);

// A per-channel vector [C] with any stride, or none (data null).
struct ChannelVector {
  void* data = nullptr;
  std::int64_t stride = 1;
};

// An [N, C, inner] tensor for batch norm: element (n, c, i) at
// data + n * stride_n + c * stride_c + i.
struct ChannelTensorRef {
  const void* data = nullptr;
  std::int64_t batch = 0, channels = 0, inner = 1;
  std::int64_t stride_n = 0, stride_c = 0;
};

// Batch norm forward as ops::batch_norm_forward defines it (relu: the fused variant):
// y [N, C, inner], save_mean and save_invstd [C]; in training the running statistics (when
// given) are updated in place. Statistics use a two-pass sum in double per channel.
void batch_norm_forward(DType dtype, const ChannelTensorRef& x, ChannelVector gamma,
                        ChannelVector beta, ChannelVector running_mean, ChannelVector running_var,
                        bool training, double momentum, double eps, bool relu, void* y,
                        void* save_mean, void* save_invstd);
// Batch norm backward as ops::batch_norm_backward defines it; with y.data set, dy is masked
// by y > 0 (the fused ReLU). dx [N, C, inner], dgamma and dbeta [C].
void batch_norm_backward(DType dtype, const ChannelTensorRef& dy, const ChannelTensorRef& y,
                         const ChannelTensorRef& x, ChannelVector gamma, const void* save_mean,
                         const void* save_invstd, bool training, void* dx, void* dgamma,
                         void* dbeta);

// A pooling call's sizes over `batch` x `channels` planes of in_h x in_w.
struct PoolShape {
  std::int64_t batch = 0, channels = 0;
  std::int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  ops::PoolAxis h, w;
};

// y and indices [N, C, OH, OW] as ops::max_pool2d_forward defines them.
void max_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, void* y,
                        std::int64_t* indices);
// dx [planes, in_plane] = each dy element (contiguous [planes, out_plane]) added at its
// index, in the CPU's order. Returns false (dx then incomplete) when an index lies outside
// [0, in_plane); waits for the GPU to know.
bool max_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t in_plane,
                         std::int64_t out_plane, const void* dy, const std::int64_t* indices,
                         void* dx);
// y [N, C, OH, OW] as ops::avg_pool2d_forward defines it.
void avg_pool2d_forward(DType dtype, const PoolShape& shape, PlanesRef x, bool count_include_pad,
                        void* y);
// dx [N, C, H, W] from contiguous dy [N, C, OH, OW].
void avg_pool2d_backward(DType dtype, const PoolShape& shape, const void* dy,
                         bool count_include_pad, void* dx);
// y [planes] = the mean of each plane of x (planes of plane_size elements, `channels` per image).
void global_avg_pool2d_forward(DType dtype, std::int64_t batch, std::int64_t channels,
                               std::int64_t plane_size, PlanesRef x, void* y);
// dx [planes, plane_size] = dy[plane] / plane_size, dy contiguous [planes].
void global_avg_pool2d_backward(DType dtype, std::int64_t planes, std::int64_t plane_size,
                                const void* dy, void* dx);

// Cross-entropy over contiguous logits [rows, classes] with i64 labels (row n's at
// labels[n * label_stride]), as ops::cross_entropy_forward defines it: softmax
// [rows, classes] and loss (one element, the mean row loss, summed in double).
void cross_entropy_forward(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                           const std::int64_t* labels, std::int64_t label_stride, double on_label,
                           double everywhere, void* softmax, void* loss);
// dlogits [rows, classes] = (softmax − target) · grad[0] / rows; grad is one f64 element.
void cross_entropy_backward(DType dtype, std::int64_t rows, std::int64_t classes,
                            const double* grad, const void* softmax, const std::int64_t* labels,
                            std::int64_t label_stride, double on_label, double everywhere,
                            void* dlogits);
// ranks[n] = the rank of row n's label among its logits (kernels/loss_math.h).
void label_ranks(DType dtype, std::int64_t rows, std::int64_t classes, const void* logits,
                 const std::int64_t* labels, std::int64_t label_stride, std::int64_t* ranks);

}  // namespace hs::cuda
