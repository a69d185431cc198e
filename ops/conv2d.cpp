// The 2-D convolution: argument checks, the device dispatch, the CUDA operand layout and the
// CPU path (per-thread scratch, im2col/col2im, the GEMM plan, the direct-kernel heuristics).
// Longer than the ~400 lines a file should hold because the CPU path has not yet been split
// into ops/cpu/ (conv2d_gemm.cpp, the scratch allocator) as ops/cpu/conv2d_direct.cpp was.
#include "ops/conv2d.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <vector>

#include "core/threads.h"
#include "cuda/conv2d.h"
#include "kernels/im2col_index.h"
#include "ops/cpu/conv2d_direct.h"
#include "ops/dispatch.h"
#include "ops/iteration.h"
#include "ops/matmul.h"
#include "ops/reduce.h"

namespace hs::ops {
namespace {

using std::int64_t;

// ---------------------------------------------------------------------------------------
// Per-thread scratch memory.
//
// Column matrices (and the few other temporaries below) live in buffers owned by the thread
// that uses them: the calling thread and each OpenMP worker keep one buffer per Scratch
// slot. A buffer grows to the largest size ever requested on its thread and is then reused,
// so after the first step of a training loop the convolutions allocate nothing but their
// outputs. The memory is freed when the thread exits. A pointer from scratch() stays valid
// until the same thread asks for the same slot again.
enum class Scratch { columns, gathered, partial };
constexpr int kScratchSlots = 3;
constexpr std::size_t kScratchAlign = 64;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

struct ScratchBuffer {
  std::unique_ptr<void, FreeDeleter> data;
  std::size_t bytes = 0;
};

thread_local std::array<ScratchBuffer, kScratchSlots> t_scratch;

template <class T>
T* scratch(Scratch slot, int64_t count) {
  ScratchBuffer& buf = t_scratch[static_cast<int>(slot)];
  const std::size_t bytes = static_cast<std::size_t>(count) * sizeof(T);
  if (bytes > buf.bytes) {
    const std::size_t rounded = (bytes + kScratchAlign - 1) / kScratchAlign * kScratchAlign;
    buf.data.reset();
    buf.bytes = 0;
    void* p = std::aligned_alloc(kScratchAlign, rounded);
    if (p == nullptr) throw std::bad_alloc();
    buf.data.reset(p);
    buf.bytes = rounded;
  }
  return static_cast<T*>(buf.data.get());
}

// ---------------------------------------------------------------------------------------
// Shapes and argument checks.

// Everything the kernels need, resolved once from the argument shapes. `image` is the
// im2col geometry of one whole image (all channels): its column rows come grouped, rows
// [g*gemm_k, (g+1)*gemm_k) belonging to group g.
struct ConvDims {
  int64_t batch = 0, in_c = 0, out_c = 0, groups = 1;
  int64_t in_c_group = 0, out_c_group = 0;
  Im2colGeometry image{};

  int64_t gemm_k() const { return in_c_group * image.kernel_h * image.kernel_w; }
  int64_t column_rows() const { return image.column_rows(); }
  int64_t in_plane() const { return image.in_h * image.in_w; }
  int64_t out_plane() const { return image.out_h * image.out_w; }
  // A 1x1, stride-1, unpadded convolution: each image's [Cin, H*W] planes are already its
  // column matrix.
  bool pointwise() const {
    return image.kernel_h == 1 && image.kernel_w == 1 && image.stride_h == 1 &&
           image.stride_w == 1 && image.pad_h == 0 && image.pad_w == 0;
  }
  Shape x_shape() const { return {batch, in_c, image.in_h, image.in_w}; }
  Shape w_shape() const { return {out_c, in_c_group, image.kernel_h, image.kernel_w}; }
  Shape y_shape() const { return {batch, out_c, image.out_h, image.out_w}; }
};

ConvDims check_shapes(const char* op, const Shape& x, const Shape& w, const Conv2dParams& p) {
  HS_CHECK(x.size() == 4, op, ": input must be 4-D [N,C,H,W], got ", x);
  HS_CHECK(w.size() == 4, op, ": weight must be 4-D [Cout,Cin/groups,KH,KW], got ", w);
  HS_CHECK(p.stride_h >= 1 && p.stride_w >= 1, op, ": stride must be >= 1, got ", p.stride_h, "x",
           p.stride_w);
  HS_CHECK(p.pad_h >= 0 && p.pad_w >= 0, op, ": padding must be >= 0, got ", p.pad_h, "x", p.pad_w);
  HS_CHECK(p.dil_h >= 1 && p.dil_w >= 1, op, ": dilation must be >= 1, got ", p.dil_h, "x",
           p.dil_w);
  HS_CHECK(p.groups >= 1, op, ": groups must be >= 1, got ", p.groups);
  HS_CHECK(x[0] >= 1, op, ": empty batch (input ", x, ")");
  HS_CHECK(w[0] >= 1 && w[1] >= 1 && w[2] >= 1 && w[3] >= 1, op,
           ": weight extents must be >= 1, got ", w);
  HS_CHECK(x[1] % p.groups == 0, op, ": ", p.groups, " groups do not divide the input's ", x[1],
           " channels (input ", x, ", weight ", w, ")");
  HS_CHECK(w[0] % p.groups == 0, op, ": ", p.groups, " groups do not divide the weight's ", w[0],
           " output channels (input ", x, ", weight ", w, ")");
  if (p.groups == 1) {
    HS_CHECK(x[1] == w[1], op, ": input has ", x[1], " channels but weight expects ", w[1],
             " (input ", x, ", weight ", w, ")");
  } else {
    HS_CHECK(x[1] == w[1] * p.groups, op, ": input has ", x[1], " channels but weight expects ",
             w[1] * p.groups, " (", w[1], " per group, ", p.groups, " groups; input ", x,
             ", weight ", w, ")");
  }
  ConvDims d;
  d.batch = x[0];
  d.in_c = x[1];
  d.out_c = w[0];
  d.groups = p.groups;
  d.in_c_group = w[1];
  d.out_c_group = w[0] / p.groups;
  const int64_t out_h = conv_output_size(x[2], w[2], p.stride_h, p.pad_h, p.dil_h);
  const int64_t out_w = conv_output_size(x[3], w[3], p.stride_w, p.pad_w, p.dil_w);
  HS_CHECK(out_h >= 1 && out_w >= 1, op, ": kernel ", w[2], "x", w[3], " (dilation ", p.dil_h, "x",
           p.dil_w, ") does not fit the input ", x[2], "x", x[3], " padded by ", p.pad_h, "x",
           p.pad_w, " (input ", x, ", weight ", w, ")");
  d.image = {x[1],       x[2],       x[3],    w[2],    w[3],    out_h,  out_w,
             p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w};
  return d;
}

void check_tensor(const char* op, const Tensor& t, const char* what) {
  detail::check_defined(op, t, what);
  detail::check_floating(op, t);
}

// Checks a gradient w.r.t. the forward's output against the shape it must have.
void check_grad_out(const char* op, const Tensor& dy, const ConvDims& d) {
  HS_CHECK(dy.shape() == d.y_shape(), op, ": grad_out has shape ", dy.shape(), ", expected ",
           d.y_shape(), " (input ", d.x_shape(), ", weight ", d.w_shape(), ")");
}

// ---------------------------------------------------------------------------------------
// Layout: a 4-D tensor read as a batch of [C, H*W] matrices. Views whose H*W planes are
// dense (channel slices of a bigger tensor, e.g. the pieces of an HS-block split) are read
// in place with their own image and channel strides; anything else is copied once.
template <class T>
struct Planes {
  Tensor keep;  // holds the storage alive
  const T* data = nullptr;
  int64_t image_stride = 0, channel_stride = 0;

  const T* image(int64_t n) const { return data + n * image_stride; }
};

template <class T>
Planes<T> as_planes(const Tensor& t) {
  const bool dense_channels = t.size(1) <= 1 || t.stride(1) >= t.size(2) * t.size(3);
  Planes<T> p;
  p.keep = detail::has_dense_planes(t) && dense_channels ? t : t.contiguous();
  p.data = p.keep.template data<T>();
  p.image_stride = p.keep.stride(0);
  p.channel_stride = p.keep.size(1) <= 1 ? p.keep.size(2) * p.keep.size(3) : p.keep.stride(1);
  return p;
}

// ---------------------------------------------------------------------------------------
// im2col / col2im, one input channel of one image at a time: callers spread (image, channel)
// pairs over threads without races. `planes` points at channel 0 of an image, channel c at
// planes + c * channel_stride. A channel owns kernel_h * kernel_w consecutive column-matrix
// rows; `ld` is the column matrix's leading dimension.
//
// Stride 1 with out_w == in_w (a "same" convolution) has a fast path: the valid output rows
// of a column-matrix row read one contiguous stretch of the input plane, moved at once; the
// columns that wrapped into the neighbouring input row are zeroed separately. Small images
// make many short rows, so this saves most of the per-row work.

bool contiguous_rows(const Im2colGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 && g.out_w == g.in_w;
}

// Zeroes the columns [0, first) and [last, out_w) of output rows [top, bottom). Column by
// column: these are one or two elements per row, and a row-wise loop would be compiled into
// a memset call per row.
template <class T>
void zero_row_edges(T* out, const Im2colGeometry& g, int64_t top, int64_t bottom, int64_t first,
                    int64_t last) {
  for (int64_t ow = 0; ow < first; ++ow)
    for (int64_t oh = top; oh < bottom; ++oh) out[oh * g.out_w + ow] = T(0);
  for (int64_t ow = last; ow < g.out_w; ++ow)
    for (int64_t oh = top; oh < bottom; ++oh) out[oh * g.out_w + ow] = T(0);
}

// Fills the column-matrix rows of channel c (starting at `cols`).
template <class T>
void im2col_channel(const T* planes, int64_t channel_stride, const Im2colGeometry& g, int64_t c,
                    T* cols, int64_t ld) {
  const T* plane = planes + c * channel_stride;
  const int64_t p = g.column_cols();
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    int64_t top, bottom;
    g.valid_rows(kh, top, bottom);
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      T* out = cols + (kh * g.kernel_w + kw) * ld;
      int64_t first, last;
      g.valid_cols(kw, first, last);
      if (first == last || top == bottom) {
        std::fill(out, out + p, T(0));
        continue;
      }
      if (top > 0) std::fill(out, out + top * g.out_w, T(0));
      if (bottom < g.out_h) std::fill(out + bottom * g.out_w, out + p, T(0));
      if (contiguous_rows(g)) {
        const int64_t shift = g.input_row(kh, 0) * g.in_w + g.input_col(kw, 0);
        const int64_t begin = top * g.out_w + first, end = (bottom - 1) * g.out_w + last;
        std::memcpy(out + begin, plane + begin + shift, (end - begin) * sizeof(T));
        zero_row_edges(out, g, top, bottom, first, last);
        continue;
      }
      for (int64_t oh = top; oh < bottom; ++oh) {
        T* line = out + oh * g.out_w;
        const T* src = plane + g.input_row(kh, oh) * g.in_w + g.input_col(kw, first);
        // Strided rows of small planes defeat the hardware prefetcher, which also stops at
        // page boundaries (a 32x32 f32 plane is one page): fetch the next channel's row now.
        // A prefetch never faults, so running past the last channel is harmless.
        __builtin_prefetch(src + channel_stride);
        __builtin_prefetch(src + channel_stride + 64 / sizeof(T));
        if (g.stride_w == 1) {
          std::memcpy(line + first, src, (last - first) * sizeof(T));
        } else if (g.stride_w == 2) {  // a constant stride lets the compiler vectorize
          for (int64_t ow = first; ow < last; ++ow) line[ow] = src[2 * (ow - first)];
        } else {
          for (int64_t ow = first; ow < last; ++ow, src += g.stride_w) line[ow] = *src;
        }
      }
      zero_row_edges(out, g, top, bottom, first, last);
    }
  }
}

// Sets input plane c of `image` (dense [C, in_h, in_w]) to the sum of the column-matrix
// elements taken from it (rows of channel c starting at `cols`): the adjoint of im2col.
// `cols` is scratch: the fast path zeroes its padding elements.
template <class T>
void col2im_channel(T* cols, int64_t ld, const Im2colGeometry& g, int64_t c, T* image) {
  T* plane = image + c * g.in_h * g.in_w;
  std::fill(plane, plane + g.in_h * g.in_w, T(0));
  for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
    int64_t top, bottom;
    g.valid_rows(kh, top, bottom);
    for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
      T* in = cols + (kh * g.kernel_w + kw) * ld;
      int64_t first, last;
      g.valid_cols(kw, first, last);
      if (first == last || top == bottom) continue;
      if (contiguous_rows(g)) {
        zero_row_edges(in, g, top, bottom, first, last);
        const int64_t shift = g.input_row(kh, 0) * g.in_w + g.input_col(kw, 0);
        const int64_t begin = top * g.out_w + first, end = (bottom - 1) * g.out_w + last;
        T* dst = plane + begin + shift;
        for (int64_t j = begin; j < end; ++j) dst[j - begin] += in[j];
        continue;
      }
      for (int64_t oh = top; oh < bottom; ++oh) {
        const T* line = in + oh * g.out_w;
        T* dst = plane + g.input_row(kh, oh) * g.in_w + g.input_col(kw, first);
        if (g.stride_w == 1) {
          for (int64_t ow = first; ow < last; ++ow) dst[ow - first] += line[ow];
        } else {
          for (int64_t ow = first; ow < last; ++ow, dst += g.stride_w) *dst += line[ow];
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// The GEMM plan. Images go through the GEMMs in chunks of `images_per_gemm`, side by side in
// one column matrix, so that small images still make GEMMs wide enough for BLAS to run near
// its peak. Chunks are spread over the OpenMP threads (BLAS single-threaded) when there are
// enough of them; otherwise they run one after the other and BLAS uses the threads.

// Chunks are at least this many output columns wide (when the batch allows). Measured with
// bench/ops on the 8x8 HS-ResNet layers: 128 beats one image (64 columns) per GEMM by
// 10-20%, and beats 256 or more, whose column matrices (K = 504 rows) outgrow the L2 cache.
constexpr int64_t kMinGemmColumns = 128;

std::atomic<Conv2dCpuAlgorithm> g_algorithm{Conv2dCpuAlgorithm::automatic};

// The direct kernel keeps at most 6 output channels in registers and re-reads the padded
// image for every further block; measured with bench/ops (3x3 layers of hs_resnet29_cifar,
// 2 threads) it beats the GEMMs on all of them, up to the 56 channels of stage 3.
constexpr int64_t kMaxDirectOutChannels = 64;

bool direct_applies(const ConvDims& d) {
  const Im2colGeometry& g = d.image;
  const Conv2dCpuAlgorithm algorithm = g_algorithm.load(std::memory_order_relaxed);
  if (algorithm == Conv2dCpuAlgorithm::gemm || !detail::direct_conv_cpu_supported()) return false;
  const bool possible = d.groups == 1 && g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 &&
                        g.dil_w == 1 && g.kernel_h * g.kernel_w > 1;
  if (!possible || algorithm == Conv2dCpuAlgorithm::direct) return possible;
  // Images are spread over the threads: a batch smaller than the team leaves them idle.
  return d.out_c <= kMaxDirectOutChannels && d.batch >= num_threads();
}

detail::DirectConvGeometry direct_geometry(const ConvDims& d) {
  const Im2colGeometry& g = d.image;
  return {d.in_c,  g.in_h,     g.in_w,     d.out_c, g.out_h,
          g.out_w, g.kernel_h, g.kernel_w, g.pad_h, g.pad_w};
}

// The direct weight gradient sums each (channel, tap) over a whole output plane in vector
// lanes and then across them; on planes under 256 pixels (the 8x8 layers) that overhead
// makes it slower than the GEMM (0.5x in bench/ops), so by default it needs 16x16 or more.
constexpr int64_t kMinDirectGradPlane = 256;

bool direct_weight_grad_applies(const ConvDims& d, const Conv2dCpuPlan& plan) {
  if (!plan.direct_f32 || !detail::direct_conv_weight_grad_supported(direct_geometry(d)))
    return false;
  return g_algorithm.load(std::memory_order_relaxed) == Conv2dCpuAlgorithm::direct ||
         d.out_plane() >= kMinDirectGradPlane;
}

// y = conv(x, w) + bias by the direct kernel, images spread over the threads.
void direct_forward(const ConvDims& d, const Planes<float>& x, const float* w, const float* bias,
                    float* y) {
  const detail::DirectConvGeometry g = direct_geometry(d);
  std::vector<float> packed(detail::direct_conv_packed_weight_size(g));
  detail::direct_conv_pack_weights(g, w, packed.data());
  const int64_t padded_size = detail::direct_conv_padded_image_size(g);
  const int64_t y_image = d.out_c * d.out_plane();
#pragma omp parallel for schedule(static) if (d.batch > 1)
  for (int64_t n = 0; n < d.batch; ++n)
    detail::direct_conv_image(g, x.image(n), x.channel_stride, packed.data(), bias,
                              scratch<float>(Scratch::columns, padded_size), y + n * y_image);
}

Conv2dCpuPlan make_plan(const ConvDims& d) {
  Conv2dCpuPlan plan;
  plan.direct_f32 = direct_applies(d);
  const int64_t p = d.out_plane();
  const int64_t threads = num_threads();
  plan.images_per_gemm = std::clamp<int64_t>((kMinGemmColumns + p - 1) / p, 1, d.batch);
  const int64_t chunks = (d.batch + plan.images_per_gemm - 1) / plan.images_per_gemm;
  plan.chunks_in_parallel = chunks >= threads;
  // Too few chunks to keep the threads busy: wider GEMMs, each split over the threads by BLAS.
  if (!plan.chunks_in_parallel)
    plan.images_per_gemm = std::clamp<int64_t>((threads * kMinGemmColumns + p - 1) / p, 1, d.batch);
  plan.gemm_m = d.out_c_group;
  plan.gemm_n = plan.images_per_gemm * p;
  plan.gemm_k = d.gemm_k();
  return plan;
}

// Images [first, first + count) of the batch.
struct Chunk {
  int64_t first = 0, count = 1;
};

int64_t chunk_count(const ConvDims& d, const Conv2dCpuPlan& plan) {
  return (d.batch + plan.images_per_gemm - 1) / plan.images_per_gemm;
}

Chunk chunk_at(const ConvDims& d, const Conv2dCpuPlan& plan, int64_t i) {
  const int64_t first = i * plan.images_per_gemm;
  return {first, std::min(plan.images_per_gemm, d.batch - first)};
}

// Calls run(chunk, inner_parallel) for every chunk of the plan: chunks spread over the
// OpenMP threads with single-threaded BLAS, or one after the other with the threads left to
// BLAS and to the chunk's own loops (inner_parallel).
template <class Run>
void for_each_chunk(const ConvDims& d, const Conv2dCpuPlan& plan, Run&& run) {
  const int64_t chunks = chunk_count(d, plan);
  if (!plan.chunks_in_parallel) {
    for (int64_t i = 0; i < chunks; ++i) run(chunk_at(d, plan, i), true);
    return;
  }
  SingleThreadedBlas single_threaded_blas;
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < chunks; ++i) run(chunk_at(d, plan, i), false);
}

// A row-major matrix operand for gemm_cpu.
template <class T>
struct MatrixRef {
  const T* data;
  int64_t ld;
};

// The column matrix of a chunk, [column_rows, count * P]; group g's rows start at
// data + g * gemm_k * ld. A single image of a pointwise convolution is its own column
// matrix; everything else is built in the thread's column scratch.
template <class T>
MatrixRef<T> chunk_columns(const Planes<T>& x, const ConvDims& d, Chunk ch, bool parallel) {
  if (d.pointwise() && ch.count == 1) return {x.image(ch.first), x.channel_stride};
  const int64_t p = d.out_plane(), width = ch.count * p, rows = d.column_rows();
  const int64_t taps = d.image.kernel_h * d.image.kernel_w;
  T* cols = scratch<T>(Scratch::columns, rows * width);
#pragma omp parallel for collapse(2) schedule(static) if (parallel && rows * width > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.in_c; ++c)
      im2col_channel(x.image(ch.first + i), x.channel_stride, d.image, c,
                     cols + c * taps * width + i * p, width);
  return {cols, width};
}

// A chunk of a [N, C, P] tensor (grad_out) as one [C, count * P] matrix: the image itself
// for a single image, else a copy in the thread's gather scratch.
template <class T>
MatrixRef<T> chunk_rows(const Planes<T>& t, int64_t channels, int64_t p, Chunk ch, bool parallel) {
  if (ch.count == 1) return {t.image(ch.first), t.channel_stride};
  const int64_t width = ch.count * p;
  T* out = scratch<T>(Scratch::gathered, channels * width);
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && channels * width > kParallelWork)
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < ch.count; ++i)
      std::memcpy(out + c * width + i * p, t.image(ch.first + i) + c * t.channel_stride,
                  p * sizeof(T));
  return {out, width};
}

// ---------------------------------------------------------------------------------------
// Forward: y[chunk, group g] = W_g [M, K] x columns_g [K, count * P], plus bias.

template <class T>
void forward_chunk(const ConvDims& d, const Planes<T>& x, const T* w, const T* bias, T* y, Chunk ch,
                   bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const MatrixRef<T> cols = chunk_columns(x, d, ch, parallel);
  // A single image's GEMM writes y directly; a wider one goes through scratch and is
  // scattered to the images below.
  T* y_first = y + ch.first * d.out_c * p;
  T* out = ch.count == 1 ? y_first : scratch<T>(Scratch::gathered, d.out_c * width);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(false, false, m, width, k, T(1), w + g * m * k, k, cols.data + g * k * cols.ld,
                cols.ld, T(0), out + g * m * width, width);
  if (ch.count == 1 && !bias) return;
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && d.out_c * width > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.out_c; ++c) {
      const T* src = out + c * width + i * p;
      T* dst = y_first + (i * d.out_c + c) * p;
      const T b = bias ? bias[c] : T(0);
      for (int64_t j = 0; j < p; ++j) dst[j] = src[j] + b;
    }
}

// ---------------------------------------------------------------------------------------
// Backward input: columns_g = W_gᵀ [K, M] x dy_g [M, count * P], then col2im into dx.

template <class T>
void backward_input_chunk(const ConvDims& d, const Planes<T>& dy, const T* w, T* dx, Chunk ch,
                          bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const int64_t x_image = d.in_c * d.in_plane(), taps = d.image.kernel_h * d.image.kernel_w;
  const MatrixRef<T> dy_mat = chunk_rows(dy, d.out_c, p, ch, parallel);
  // A single image of a pointwise convolution gets its gradient straight from the GEMM.
  const bool direct = d.pointwise() && ch.count == 1;
  T* cols =
      direct ? dx + ch.first * x_image : scratch<T>(Scratch::columns, d.column_rows() * width);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(true, false, k, width, m, T(1), w + g * m * k, k, dy_mat.data + g * m * dy_mat.ld,
                dy_mat.ld, T(0), cols + g * k * width, width);
  if (direct) return;
#pragma omp parallel for collapse(2) \
    schedule(static) if (parallel && ch.count * x_image > kParallelWork)
  for (int64_t i = 0; i < ch.count; ++i)
    for (int64_t c = 0; c < d.in_c; ++c)
      col2im_channel(cols + c * taps * width + i * p, width, d.image, c,
                     dx + (ch.first + i) * x_image);
}

// ---------------------------------------------------------------------------------------
// Backward weight: dW_g [M, K] += dy_g [M, count * P] x columns_gᵀ [count * P, K].

template <class T>
void backward_weight_chunk(const ConvDims& d, const Planes<T>& x, const Planes<T>& dy, T* dw,
                           T beta, Chunk ch, bool parallel) {
  const int64_t m = d.out_c_group, k = d.gemm_k(), p = d.out_plane(), width = ch.count * p;
  const MatrixRef<T> dy_mat = chunk_rows(dy, d.out_c, p, ch, parallel);
  const MatrixRef<T> cols = chunk_columns(x, d, ch, parallel);
  for (int64_t g = 0; g < d.groups; ++g)
    gemm_cpu<T>(false, true, m, k, width, T(1), dy_mat.data + g * m * dy_mat.ld, dy_mat.ld,
                cols.data + g * k * cols.ld, cols.ld, beta, dw + g * m * k, k);
}

// dw = the sum of per-thread partial gradients: every OpenMP thread gets a zeroed partial
// sum (in its scratch) and calls add_work(partial), which holds an `omp for` over its share
// of the images; the partials are added up at the end.
template <class T, class AddWork>
void sum_thread_partials(int64_t w_size, T* dw, AddWork&& add_work) {
  std::vector<T*> partials(num_threads(), nullptr);
  int team = 1;
  {
    SingleThreadedBlas single_threaded_blas;
#pragma omp parallel
    {
#pragma omp single
      team = omp_get_num_threads();
      T* partial = scratch<T>(Scratch::partial, w_size);
      std::fill(partial, partial + w_size, T(0));
      partials[omp_get_thread_num()] = partial;
      add_work(partial);
    }
  }
#pragma omp parallel for schedule(static) if (w_size * team > kParallelWork)
  for (int64_t i = 0; i < w_size; ++i) {
    T sum = partials[0][i];
    for (int t = 1; t < team; ++t) sum += partials[t][i];
    dw[i] = sum;
  }
}

// Sums the chunks' contributions: straight into dw when chunks run one after the other,
// else into one partial sum per thread.
template <class T>
void backward_weight(const ConvDims& d, const Conv2dCpuPlan& plan, const Planes<T>& x,
                     const Planes<T>& dy, T* dw) {
  if (!plan.chunks_in_parallel) {
    for_each_chunk(d, plan, [&](Chunk ch, bool parallel) {
      backward_weight_chunk(d, x, dy, dw, ch.first == 0 ? T(0) : T(1), ch, parallel);
    });
    return;
  }
  const int64_t chunks = chunk_count(d, plan);
  sum_thread_partials(d.out_c * d.gemm_k(), dw, [&](T* partial) {
#pragma omp for schedule(static)
    for (int64_t i = 0; i < chunks; ++i)
      backward_weight_chunk(d, x, dy, partial, T(1), chunk_at(d, plan, i), false);
  });
}

// dw by the direct kernel, images spread over the threads.
void direct_backward_weight(const ConvDims& d, const Planes<float>& x, const Planes<float>& dy,
                            float* dw) {
  const detail::DirectConvGeometry g = direct_geometry(d);
  const int64_t padded_size = detail::direct_conv_padded_image_size(g);
  sum_thread_partials(d.out_c * d.gemm_k(), dw, [&](float* partial) {
#pragma omp for schedule(static)
    for (int64_t n = 0; n < d.batch; ++n)
      detail::direct_conv_weight_grad_image(g, x.image(n), x.channel_stride, dy.image(n),
                                            dy.channel_stride,
                                            scratch<float>(Scratch::columns, padded_size), partial);
  });
}

// ---------------------------------------------------------------------------------------
// Backward input of a stride-1 convolution as a forward convolution: dx = conv(dy, W'), W'
// the kernel flipped in space with input and output channels swapped (per group), padding
// dilation * (kernel - 1) - padding. It does the same GEMM work as columns-then-col2im, but
// the GEMM writes dx itself instead of a kernel_h * kernel_w times larger column matrix that
// must be zeroed and then scattered back: 1.1-1.7x faster on the 3x3 layers of bench/ops.
// Its GEMM has one row per input channel of a group, so few input channels (a 3-channel
// stem: 3 rows) keep the column-matrix way, which is 3x faster there.

bool backward_input_as_forward(const ConvDims& d, const Conv2dParams& p) {
  constexpr int64_t kMinGemmRows = 8;
  return !d.pointwise() && d.in_c / d.groups >= kMinGemmRows && p.stride_h == 1 &&
         p.stride_w == 1 && p.pad_h <= p.dil_h * (d.image.kernel_h - 1) &&
         p.pad_w <= p.dil_w * (d.image.kernel_w - 1);
}

template <class T>
Tensor flipped_transposed_kernel(const Tensor& w, const ConvDims& d) {
  const int64_t kh = d.image.kernel_h, kw = d.image.kernel_w, taps = kh * kw;
  const int64_t out_g = d.out_c_group, in_g = d.in_c / d.groups;
  Tensor flipped = empty({d.in_c, out_g, kh, kw}, {w.dtype(), w.device()});
  const Tensor wc = w.contiguous();
  const T* src = wc.data<T>();
  T* dst = flipped.data<T>();
  for (int64_t g = 0; g < d.groups; ++g)
    for (int64_t o = 0; o < out_g; ++o)
      for (int64_t i = 0; i < in_g; ++i) {
        const T* from = src + ((g * out_g + o) * in_g + i) * taps;
        T* to = dst + ((g * in_g + i) * out_g + o) * taps;
        for (int64_t t = 0; t < taps; ++t) to[t] = from[taps - 1 - t];
      }
  return flipped;
}

}  // namespace

// ---------------------------------------------------------------------------------------

Conv2dCpuPlan conv2d_cpu_plan(const Shape& x_shape, const Shape& w_shape,
                              const Conv2dParams& params) {
  return make_plan(check_shapes("conv2d", x_shape, w_shape, params));
}

namespace {

// ---- The CUDA path: the operands laid out for cuda/conv2d.cu, results allocated on the GPU.

using std::int64_t;

cuda::ConvShape conv_shape(const Shape& x, const Shape& w, const Conv2dParams& p) {
  const int64_t out_h = conv_output_size(x[2], w[2], p.stride_h, p.pad_h, p.dil_h);
  const int64_t out_w = conv_output_size(x[3], w[3], p.stride_w, p.pad_w, p.dil_w);
  cuda::ConvShape s;
  s.batch = x[0];
  s.out_channels = w[0];
  s.groups = p.groups;
  s.image = {x[1],       x[2],       x[3],    w[2],    w[3],    out_h,  out_w,
             p.stride_h, p.stride_w, p.pad_h, p.pad_w, p.dil_h, p.dil_w};
  return s;
}

Shape output_shape(const cuda::ConvShape& s) {
  return {s.batch, s.out_channels, s.image.out_h, s.image.out_w};
}

// A 4-D tensor as a batch of dense [C, H*W] planes: in place when its layout allows (channel
// slices of a bigger tensor among them), else a contiguous copy. `keep` holds the storage.
struct DevicePlanes {
  Tensor keep;
  cuda::PlanesRef ref;
};

DevicePlanes device_planes(const Tensor& t) {
  const int64_t plane = t.size(2) * t.size(3);
  // cuBLAS reads a plane matrix [C, H*W] with leading dimension channel_stride >= H*W.
  const bool dense_channels = t.size(1) <= 1 || t.stride(1) >= plane;
  DevicePlanes p;
  p.keep = detail::has_dense_planes(t) && dense_channels ? t : t.contiguous();
  p.ref.data = p.keep.data_ptr();
  p.ref.image_stride = p.keep.stride(0);
  p.ref.channel_stride = p.keep.size(1) <= 1 ? plane : p.keep.stride(1);
  return p;
}

Tensor conv2d_forward_cuda(const Tensor& x, const Tensor& w, const Tensor& bias,
                           const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x.shape(), w.shape(), params);
  Tensor y = empty(output_shape(s), {x.dtype(), x.device()});
  const DevicePlanes xp = device_planes(x);
  const Tensor wc = w.contiguous();
  const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  cuda::conv2d_forward(x.dtype(), s, xp.ref, wc.data_ptr(), bc.defined() ? bc.data_ptr() : nullptr,
                       y.data_ptr());
  return y;
}

Tensor conv2d_backward_input_cuda(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                                  const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x_shape, w.shape(), params);
  Tensor dx = empty(x_shape, {w.dtype(), w.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const Tensor wc = w.contiguous();
  cuda::conv2d_backward_input(w.dtype(), s, dy.ref, wc.data_ptr(), dx.data_ptr());
  return dx;
}

Tensor conv2d_backward_weight_cuda(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                                   const Conv2dParams& params) {
  const cuda::ConvShape s = conv_shape(x.shape(), w_shape, params);
  Tensor dw = empty(w_shape, {x.dtype(), x.device()});
  const DevicePlanes dy = device_planes(grad_out);
  const DevicePlanes xp = device_planes(x);
  cuda::conv2d_backward_weight(x.dtype(), s, dy.ref, xp.ref, dw.data_ptr());
  return dw;
}

Tensor conv2d_backward_bias_cuda(const Tensor& grad_out) { return sum(grad_out, {0, 2, 3}); }

}  // namespace

Tensor conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& bias,
                      const Conv2dParams& params) {
  constexpr const char* op = "conv2d";
  check_tensor(op, x, "input");
  check_tensor(op, w, "weight");
  const ConvDims d = check_shapes(op, x.shape(), w.shape(), params);
  detail::check_same_dtype_device(op, x, w);
  if (bias.defined()) {
    HS_CHECK(bias.shape() == Shape{d.out_c}, op, ": bias must have shape [", d.out_c,
             "] (one value per output channel), got ", bias.shape(), " (weight ", w.shape(), ")");
    detail::check_same_dtype_device(op, x, bias);
  }
  return dispatch(
      op, x,
      [&] {
        const Conv2dCpuPlan plan = make_plan(d);
        Tensor y = empty(d.y_shape(), {x.dtype(), x.device()});
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const Planes<T> xp = as_planes<T>(x);
          const Tensor wc = w.contiguous();
          const Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
          const T* w_data = wc.data<T>();
          const T* b_data = bc.defined() ? bc.data<T>() : nullptr;
          T* y_data = y.data<T>();
          if constexpr (std::is_same_v<T, float>) {
            if (plan.direct_f32) return direct_forward(d, xp, w_data, b_data, y_data);
          }
          for_each_chunk(d, plan, [&](Chunk ch, bool parallel) {
            forward_chunk(d, xp, w_data, b_data, y_data, ch, parallel);
          });
        });
        return y;
      },
      [&] { return conv2d_forward_cuda(x, w, bias, params); });
}

Tensor conv2d_backward_input(const Tensor& grad_out, const Tensor& w, const Shape& x_shape,
                             const Conv2dParams& params) {
  constexpr const char* op = "conv2d_backward_input";
  check_tensor(op, grad_out, "grad_out");
  check_tensor(op, w, "weight");
  const ConvDims d = check_shapes(op, x_shape, w.shape(), params);
  check_grad_out(op, grad_out, d);
  detail::check_same_dtype_device(op, grad_out, w);
  return dispatch(
      op, grad_out,
      [&] {
        if (backward_input_as_forward(d, params)) {
          const Tensor flipped = dispatch_floating(
              w.dtype(), [&](auto tag) { return flipped_transposed_kernel<decltype(tag)>(w, d); });
          Conv2dParams as_forward = params;
          as_forward.pad_h = params.dil_h * (d.image.kernel_h - 1) - params.pad_h;
          as_forward.pad_w = params.dil_w * (d.image.kernel_w - 1) - params.pad_w;
          return conv2d_forward(grad_out, flipped, Tensor(), as_forward);
        }
        const Conv2dCpuPlan plan = make_plan(d);
        Tensor dx = empty(x_shape, {w.dtype(), w.device()});
        dispatch_floating(w.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const Planes<T> dyp = as_planes<T>(grad_out);
          const Tensor wc = w.contiguous();
          const T* w_data = wc.data<T>();
          T* dx_data = dx.data<T>();
          for_each_chunk(d, plan, [&](Chunk ch, bool parallel) {
            backward_input_chunk(d, dyp, w_data, dx_data, ch, parallel);
          });
        });
        return dx;
      },
      [&] { return conv2d_backward_input_cuda(grad_out, w, x_shape, params); });
}

Tensor conv2d_backward_weight(const Tensor& grad_out, const Tensor& x, const Shape& w_shape,
                              const Conv2dParams& params) {
  constexpr const char* op = "conv2d_backward_weight";
  check_tensor(op, grad_out, "grad_out");
  check_tensor(op, x, "input");
  const ConvDims d = check_shapes(op, x.shape(), w_shape, params);
  check_grad_out(op, grad_out, d);
  detail::check_same_dtype_device(op, grad_out, x);
  return dispatch(
      op, x,
      [&] {
        const Conv2dCpuPlan plan = make_plan(d);
        Tensor dw = empty(w_shape, {x.dtype(), x.device()});
        dispatch_floating(x.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const Planes<T> xp = as_planes<T>(x);
          const Planes<T> dyp = as_planes<T>(grad_out);
          if constexpr (std::is_same_v<T, float>) {
            if (direct_weight_grad_applies(d, plan))
              return direct_backward_weight(d, xp, dyp, dw.data<float>());
          }
          backward_weight(d, plan, xp, dyp, dw.data<T>());
        });
        return dw;
      },
      [&] { return conv2d_backward_weight_cuda(grad_out, x, w_shape, params); });
}

void set_conv2d_cpu_algorithm(Conv2dCpuAlgorithm algorithm) {
  g_algorithm.store(algorithm, std::memory_order_relaxed);
}

Conv2dCpuAlgorithm conv2d_cpu_algorithm() { return g_algorithm.load(std::memory_order_relaxed); }

Tensor conv2d_backward_bias(const Tensor& grad_out) {
  constexpr const char* op = "conv2d_backward_bias";
  check_tensor(op, grad_out, "grad_out");
  HS_CHECK(grad_out.dim() == 4, op, ": grad_out must be 4-D [N,C,H,W], got ", grad_out.shape());
  return dispatch(
      op, grad_out,
      [&] {
        const int64_t batch = grad_out.size(0), channels = grad_out.size(1);
        const int64_t p = grad_out.size(2) * grad_out.size(3);
        Tensor db = empty({channels}, {grad_out.dtype(), grad_out.device()});
        dispatch_floating(grad_out.dtype(), [&](auto tag) {
          using T = decltype(tag);
          const Planes<T> dy = as_planes<T>(grad_out);
          T* out = db.data<T>();
#pragma omp parallel for schedule(static) if (batch * channels * p > kParallelWork)
          for (int64_t c = 0; c < channels; ++c) {
            double sum = 0;
            for (int64_t n = 0; n < batch; ++n) {
              const T* row = dy.image(n) + c * dy.channel_stride;
              T partial = 0;
              for (int64_t j = 0; j < p; ++j) partial += row[j];
              sum += partial;
            }
            out[c] = static_cast<T>(sum);
          }
        });
        return db;
      },
      [&] { return conv2d_backward_bias_cuda(grad_out); });
}

}  // namespace hs::ops
