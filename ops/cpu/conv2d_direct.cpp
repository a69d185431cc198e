#include "ops/cpu/conv2d_direct.h"

#include <algorithm>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HS_DIRECT_CONV_X86 1
#else
#define HS_DIRECT_CONV_X86 0
#endif

namespace hs::ops::detail {
namespace {

using std::int64_t;

constexpr int64_t kTileWidth = 8;  // output columns per register (one ymm of f32)

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// The zero-padded image: in_c planes of padded_rows() x padded_width() floats, holding input
// pixel (r, c) at row r + pad_h, column c + pad_w. Every 8-wide load of a tile, whatever its
// kernel tap, stays inside its row.
int64_t padded_rows(const DirectConvGeometry& g) { return g.out_h + g.kernel_h - 1; }
int64_t padded_width(const DirectConvGeometry& g) {
  return round_up(g.out_w, kTileWidth) + g.kernel_w - 1;
}

#if HS_DIRECT_CONV_X86

// Rows of 8-wide stores rather than std::fill and memcpy: the rows are short (10-42 floats
// on CIFAR) and the calls cost more than the copy. With them, perf put the copy at about a
// sixth of the 3x3 kernel's time (16 channels of 32x32); this way the forward is 5% faster.
__attribute__((target("avx2,fma"))) void pad_image(const DirectConvGeometry& g, const float* x,
                                                   int64_t channel_stride, float* padded) {
  const int64_t rows = padded_rows(g), width = padded_width(g);  // width >= kTileWidth
  const int64_t copied = std::min(g.in_w, width - g.pad_w);
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < g.in_c; ++c) {
    const float* plane = x + c * channel_stride;
    for (int64_t r = 0; r < rows; ++r) {
      float* line = padded + (c * rows + r) * width;
      for (int64_t i = 0; i + kTileWidth < width; i += kTileWidth) _mm256_storeu_ps(line + i, zero);
      _mm256_storeu_ps(line + width - kTileWidth, zero);
      const int64_t in_row = r - g.pad_h;
      if (in_row < 0 || in_row >= g.in_h || copied <= 0) continue;
      const float* src = plane + in_row * g.in_w;
      float* dst = line + g.pad_w;
      if (copied < kTileWidth) {
        for (int64_t i = 0; i < copied; ++i) dst[i] = src[i];
        continue;
      }
      for (int64_t i = 0; i + kTileWidth < copied; i += kTileWidth)
        _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
      _mm256_storeu_ps(dst + copied - kTileWidth, _mm256_loadu_ps(src + copied - kTileWidth));
    }
  }
}

#endif

// Output channels are taken in blocks of at most kMaxBlock; a tile is 8 columns of two
// output rows, so a block keeps 2 * MB accumulators (12 of the 16 ymm registers at MB = 6)
// and each kernel tap costs two input loads and MB broadcasts for 2 * MB FMAs.
constexpr int kMaxBlock = 6;

// The size of the next block when `remaining` output channels are left: sixes, with a
// remainder of 7-9 split in two (8 = 4 + 4 rather than 6 + 2, whose 2-block would idle the
// FMA units on latency).
int64_t next_block(int64_t remaining) {
  if (remaining <= kMaxBlock) return remaining;
  if (remaining < 2 * kMaxBlock && remaining % kMaxBlock != 0) return remaining / 2;
  return kMaxBlock;
}

#if HS_DIRECT_CONV_X86

// acc += a * b, always as vfmadd231ps into acc's register. From _mm256_fmadd_ps, g++ 12 picks
// whichever FMA form overwrites a dead operand, so the accumulators wander between registers
// and, with 10-12 of them live, it spilled accumulators and inputs to the stack inside the tap
// loop (conv_rows<5, 2, 3>, conv_rows<6, 2, 3>). Pinned, that loop has no spills, and the
// kernel runs 1.15-1.4x faster on the 3x3 layer shapes of resnet20_cifar (16-64 channels).
__attribute__((target("avx2,fma"), always_inline)) inline void fma_into(__m256& acc, __m256 a,
                                                                        __m256 b) {
  __asm__("vfmadd231ps %[b], %[a], %[acc]" : [acc] "+x"(acc) : [a] "x"(a), [b] "x"(b));
}

// ROWS (1 or 2) output rows from `oh`, all columns, for a block of MB output channels;
// KW > 0 fixes the kernel width at compile time (3: the common case, unrolled), 0 reads it
// from g.
template <int MB, int ROWS, int KW>
__attribute__((target("avx2,fma"))) void conv_rows(const DirectConvGeometry& g, const float* padded,
                                                   const float* packed, const float* bias,
                                                   bool relu, __m256i tail_mask, int64_t oh,
                                                   float* y) {
  const int64_t rows = padded_rows(g), width = padded_width(g), plane = g.out_h * g.out_w;
  const int64_t kernel_w = KW > 0 ? KW : g.kernel_w;
  for (int64_t ow = 0; ow < g.out_w; ow += kTileWidth) {
    __m256 acc[ROWS][MB];
    for (int m = 0; m < MB; ++m)
      for (int r = 0; r < ROWS; ++r) acc[r][m] = _mm256_set1_ps(bias ? bias[m] : 0.0f);
    const float* w = packed;
    for (int64_t c = 0; c < g.in_c; ++c) {
      const float* in = padded + (c * rows + oh) * width + ow;
      for (int64_t kh = 0; kh < g.kernel_h; ++kh, in += width) {
        for (int64_t kw = 0; kw < kernel_w; ++kw, w += MB) {
          __m256 v[ROWS];
          for (int r = 0; r < ROWS; ++r) v[r] = _mm256_loadu_ps(in + r * width + kw);
          for (int m = 0; m < MB; ++m) {
            const __m256 wm = _mm256_broadcast_ss(w + m);
            for (int r = 0; r < ROWS; ++r) fma_into(acc[r][m], wm, v[r]);
          }
        }
      }
    }
    if (relu)
      for (int r = 0; r < ROWS; ++r)
        for (int m = 0; m < MB; ++m) acc[r][m] = _mm256_max_ps(acc[r][m], _mm256_setzero_ps());
    float* out = y + oh * g.out_w + ow;
    const bool full = ow + kTileWidth <= g.out_w;
    for (int r = 0; r < ROWS; ++r)
      for (int m = 0; m < MB; ++m) {
        float* dst = out + m * plane + r * g.out_w;
        if (full)
          _mm256_storeu_ps(dst, acc[r][m]);
        else
          _mm256_maskstore_ps(dst, tail_mask, acc[r][m]);
      }
  }
}

// Output rows [begin, end) of one block of MB output channels, two rows at a time.
template <int MB>
__attribute__((target("avx2,fma"))) void conv_band(const DirectConvGeometry& g, const float* padded,
                                                   const float* packed, const float* bias,
                                                   bool relu, __m256i tail_mask, int64_t begin,
                                                   int64_t end, float* y) {
  int64_t oh = begin;
  if (g.kernel_w == 3) {
    for (; oh + 2 <= end; oh += 2)
      conv_rows<MB, 2, 3>(g, padded, packed, bias, relu, tail_mask, oh, y);
  } else {
    for (; oh + 2 <= end; oh += 2)
      conv_rows<MB, 2, 0>(g, padded, packed, bias, relu, tail_mask, oh, y);
  }
  if (oh < end) conv_rows<MB, 1, 0>(g, padded, packed, bias, relu, tail_mask, oh, y);
}

using BandKernel = void (*)(const DirectConvGeometry&, const float*, const float*, const float*,
                            bool, __m256i, int64_t, int64_t, float*);
constexpr BandKernel kBandKernels[kMaxBlock] = {conv_band<1>, conv_band<2>, conv_band<3>,
                                                conv_band<4>, conv_band<5>, conv_band<6>};

// Every output-channel block reads the same input rows, so the image is done in bands of
// rows whose input (all channels) stays in the L2 cache while all blocks pass over it: on a
// 56x56 image with 64 channels the whole padded image (0.9 MB) would be read from memory
// once per block.
constexpr int64_t kBandBytes = 128 * 1024;

__attribute__((target("avx2,fma"))) void conv_image(const DirectConvGeometry& g,
                                                    const float* padded, const float* packed_w,
                                                    const float* bias, bool relu, float* y) {
  const int64_t tail = g.out_w % kTileWidth;
  alignas(32) int mask_bits[kTileWidth];
  for (int64_t i = 0; i < kTileWidth; ++i) mask_bits[i] = i < tail ? -1 : 0;
  const __m256i tail_mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask_bits));
  const int64_t k = g.in_c * g.kernel_h * g.kernel_w, plane = g.out_h * g.out_w;
  const int64_t row_bytes = g.in_c * padded_width(g) * static_cast<int64_t>(sizeof(float));
  const int64_t band = std::max<int64_t>(2, (kBandBytes / row_bytes - (g.kernel_h - 1)) / 2 * 2);
  for (int64_t begin = 0; begin < g.out_h; begin += band) {
    const int64_t end = std::min(g.out_h, begin + band);
    for (int64_t m0 = 0; m0 < g.out_c;) {
      const int64_t mb = next_block(g.out_c - m0);
      kBandKernels[mb - 1](g, padded, packed_w + m0 * k, bias ? bias + m0 : nullptr, relu,
                           tail_mask, begin, end, y + m0 * plane);
      m0 += mb;
    }
  }
}

// Weight gradient, kernel width 3: for one input channel c and kernel row kh, adds
// Σ_(oh, ow) dy[m, oh, ow] · x_padded[c, oh + kh, ow + kw] to dw[m, c, kh, kw] for the MB
// output channels of a block and kw = 0, 1, 2, with 3 * MB accumulators (12 at MB = 4): per
// tile MB loads of dy and 3 of x for 3 * MB FMAs.
constexpr int kMaxGradBlock = 4;

// acc[m][kw] += dy[m, tile] * x[tile + kw] for one tile of 8 columns (FULL) or fewer (the
// masked tail; x beyond it is read but multiplied by zeros).
template <int MB, bool FULL>
__attribute__((target("avx2,fma"), always_inline)) inline void weight_grad_tile(
    const float* in, const float* grad, int64_t dy_channel_stride, __m256i tail_mask,
    __m256 (&acc)[MB][3]) {
  __m256 d[MB];
  for (int m = 0; m < MB; ++m)
    d[m] = FULL ? _mm256_loadu_ps(grad + m * dy_channel_stride)
                : _mm256_maskload_ps(grad + m * dy_channel_stride, tail_mask);
  for (int kw = 0; kw < 3; ++kw) {
    const __m256 v = _mm256_loadu_ps(in + kw);
    for (int m = 0; m < MB; ++m) acc[m][kw] = _mm256_fmadd_ps(d[m], v, acc[m][kw]);
  }
}

template <int MB>
__attribute__((target("avx2,fma"))) void weight_grad_block(const DirectConvGeometry& g,
                                                           const float* padded, const float* dy,
                                                           int64_t dy_channel_stride,
                                                           __m256i tail_mask, float* dw) {
  constexpr int KW = 3;
  const int64_t rows = padded_rows(g), width = padded_width(g);
  const int64_t full_end = g.out_w / kTileWidth * kTileWidth;
  const int64_t taps = g.kernel_h * KW, k = g.in_c * taps;
  for (int64_t c = 0; c < g.in_c; ++c)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
      __m256 acc[MB][KW];
      for (int m = 0; m < MB; ++m)
        for (int kw = 0; kw < KW; ++kw) acc[m][kw] = _mm256_setzero_ps();
      for (int64_t oh = 0; oh < g.out_h; ++oh) {
        const float* in = padded + (c * rows + oh + kh) * width;
        const float* grad = dy + oh * g.out_w;
        int64_t ow = 0;
        for (; ow < full_end; ow += kTileWidth)
          weight_grad_tile<MB, true>(in + ow, grad + ow, dy_channel_stride, tail_mask, acc);
        if (ow < g.out_w)
          weight_grad_tile<MB, false>(in + ow, grad + ow, dy_channel_stride, tail_mask, acc);
      }
      for (int m = 0; m < MB; ++m)
        for (int kw = 0; kw < KW; ++kw) {
          alignas(32) float lanes[kTileWidth];
          _mm256_store_ps(lanes, acc[m][kw]);
          float sum = 0;
          for (float v : lanes) sum += v;
          dw[m * k + c * taps + kh * KW + kw] += sum;
        }
    }
}

using GradBlockKernel = void (*)(const DirectConvGeometry&, const float*, const float*, int64_t,
                                 __m256i, float*);
constexpr GradBlockKernel kGradBlockKernels[kMaxGradBlock] = {
    weight_grad_block<1>, weight_grad_block<2>, weight_grad_block<3>, weight_grad_block<4>};

__attribute__((target("avx2,fma"))) void weight_grad_image(const DirectConvGeometry& g,
                                                           const float* padded, const float* dy,
                                                           int64_t dy_channel_stride, float* dw) {
  const int64_t tail = g.out_w % kTileWidth;
  alignas(32) int mask_bits[kTileWidth];
  for (int64_t i = 0; i < kTileWidth; ++i) mask_bits[i] = i < tail ? -1 : 0;
  const __m256i tail_mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(mask_bits));
  const int64_t k = g.in_c * g.kernel_h * g.kernel_w;
  for (int64_t m0 = 0; m0 < g.out_c; m0 += kMaxGradBlock) {
    const int64_t mb = std::min<int64_t>(kMaxGradBlock, g.out_c - m0);
    kGradBlockKernels[mb - 1](g, padded, dy + m0 * dy_channel_stride, dy_channel_stride, tail_mask,
                              dw + m0 * k);
  }
}

#endif

}  // namespace

bool direct_conv_cpu_supported() {
#if HS_DIRECT_CONV_X86
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return supported;
#else
  return false;
#endif
}

int64_t direct_conv_packed_weight_size(const DirectConvGeometry& g) {
  return g.out_c * g.in_c * g.kernel_h * g.kernel_w;
}

int64_t direct_conv_padded_image_size(const DirectConvGeometry& g) {
  return g.in_c * padded_rows(g) * padded_width(g);
}

void direct_conv_pack_weights(const DirectConvGeometry& g, const float* w, float* packed) {
  const int64_t k = g.in_c * g.kernel_h * g.kernel_w;
  for (int64_t m0 = 0; m0 < g.out_c;) {
    const int64_t mb = next_block(g.out_c - m0);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t m = 0; m < mb; ++m) packed[m0 * k + i * mb + m] = w[(m0 + m) * k + i];
    m0 += mb;
  }
}

void direct_conv_image(const DirectConvGeometry& g, const float* x, int64_t channel_stride,
                       const float* packed_w, const float* bias, bool relu, float* padded,
                       float* y) {
#if HS_DIRECT_CONV_X86
  pad_image(g, x, channel_stride, padded);
  conv_image(g, padded, packed_w, bias, relu, y);
#else
  (void)g, (void)x, (void)channel_stride, (void)packed_w, (void)bias, (void)relu, (void)padded,
      (void)y;
#endif
}

bool direct_conv_weight_grad_supported(const DirectConvGeometry& g) {
  return direct_conv_cpu_supported() && g.kernel_w == 3;
}

void direct_conv_weight_grad_image(const DirectConvGeometry& g, const float* x,
                                   int64_t x_channel_stride, const float* dy,
                                   int64_t dy_channel_stride, float* padded, float* dw) {
#if HS_DIRECT_CONV_X86
  pad_image(g, x, x_channel_stride, padded);
  weight_grad_image(g, padded, dy, dy_channel_stride, dw);
#else
  (void)g, (void)x, (void)x_channel_stride, (void)dy, (void)dy_channel_stride, (void)padded,
      (void)dw;
#endif
}

}  // namespace hs::ops::detail
