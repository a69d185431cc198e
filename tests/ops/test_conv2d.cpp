// conv2d forward and backward (input, weight, bias) against a direct 7-loop convolution in
// f64 over a grid of strides, paddings, dilations, groups, kernels and batch sizes; both
// GEMM plans of the CPU path; non-contiguous operands; f32 against f64; the im2col index
// arithmetic shared with CUDA; and every argument error.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/generator.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "kernels/im2col_index.h"
#include "ops/conv2d.h"
#include "ops/cpu/conv2d_direct.h"

using namespace hs;
using namespace hs::ops;
using std::int64_t;

namespace {

struct ConvCase {
  int64_t batch, in_c, out_c, in_h, in_w, kernel_h, kernel_w;
  Conv2dParams params;
  bool bias;

  Shape x_shape() const { return {batch, in_c, in_h, in_w}; }
  Shape w_shape() const { return {out_c, in_c / params.groups, kernel_h, kernel_w}; }
  int64_t out_h() const {
    return (in_h + 2 * params.pad_h - params.dil_h * (kernel_h - 1) - 1) / params.stride_h + 1;
  }
  int64_t out_w() const {
    return (in_w + 2 * params.pad_w - params.dil_w * (kernel_w - 1) - 1) / params.stride_w + 1;
  }
  Shape y_shape() const { return {batch, out_c, out_h(), out_w()}; }
  bool valid() const {
    return in_h + 2 * params.pad_h >= params.dil_h * (kernel_h - 1) + 1 &&
           in_w + 2 * params.pad_w >= params.dil_w * (kernel_w - 1) + 1;
  }
  std::string str() const {
    std::ostringstream os;
    os << "x " << x_shape() << " w " << w_shape() << " stride " << params.stride_h << "x"
       << params.stride_w << " pad " << params.pad_h << "x" << params.pad_w << " dil "
       << params.dil_h << "x" << params.dil_w << " groups " << params.groups
       << (bias ? " bias" : "");
    return os.str();
  }
};

// Calls tap(x_index, w_index, y_index) for every multiply-add of the convolution, with
// flat row-major indices into contiguous x, w and y: the definition of conv2d.
template <class Tap>
void for_each_tap(const ConvCase& c, Tap&& tap) {
  const Conv2dParams& p = c.params;
  const int64_t in_g = c.in_c / p.groups, out_g = c.out_c / p.groups;
  const int64_t oh_n = c.out_h(), ow_n = c.out_w();
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t co = 0; co < c.out_c; ++co)
      for (int64_t oh = 0; oh < oh_n; ++oh)
        for (int64_t ow = 0; ow < ow_n; ++ow)
          for (int64_t ci = 0; ci < in_g; ++ci)
            for (int64_t kh = 0; kh < c.kernel_h; ++kh)
              for (int64_t kw = 0; kw < c.kernel_w; ++kw) {
                const int64_t ih = oh * p.stride_h - p.pad_h + kh * p.dil_h;
                const int64_t iw = ow * p.stride_w - p.pad_w + kw * p.dil_w;
                if (ih < 0 || ih >= c.in_h || iw < 0 || iw >= c.in_w) continue;
                const int64_t cx = (co / out_g) * in_g + ci;
                tap(((n * c.in_c + cx) * c.in_h + ih) * c.in_w + iw,
                    ((co * in_g + ci) * c.kernel_h + kh) * c.kernel_w + kw,
                    ((n * c.out_c + co) * oh_n + oh) * ow_n + ow);
              }
}

std::vector<double> naive_forward(const ConvCase& c, const Tensor& x, const Tensor& w,
                                  const Tensor& b) {
  const std::vector<double> xv = x.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> y(c.y_shape().numel(), 0.0);
  if (b.defined()) {
    const std::vector<double> bv = b.to_vector<double>();
    const int64_t plane = c.out_h() * c.out_w();
    for (std::size_t i = 0; i < y.size(); ++i) y[i] = bv[(i / plane) % c.out_c];
  }
  for_each_tap(c, [&](int64_t xi, int64_t wi, int64_t yi) { y[yi] += xv[xi] * wv[wi]; });
  return y;
}

std::vector<double> naive_backward_input(const ConvCase& c, const Tensor& dy, const Tensor& w) {
  const std::vector<double> dyv = dy.to_vector<double>(), wv = w.to_vector<double>();
  std::vector<double> dx(c.x_shape().numel(), 0.0);
  for_each_tap(c, [&](int64_t xi, int64_t wi, int64_t yi) { dx[xi] += wv[wi] * dyv[yi]; });
  return dx;
}

std::vector<double> naive_backward_weight(const ConvCase& c, const Tensor& dy, const Tensor& x) {
  const std::vector<double> dyv = dy.to_vector<double>(), xv = x.to_vector<double>();
  std::vector<double> dw(c.w_shape().numel(), 0.0);
  for_each_tap(c, [&](int64_t xi, int64_t wi, int64_t yi) { dw[wi] += xv[xi] * dyv[yi]; });
  return dw;
}

std::vector<double> naive_backward_bias(const ConvCase& c, const Tensor& dy) {
  const std::vector<double> dyv = dy.to_vector<double>();
  const int64_t plane = c.out_h() * c.out_w();
  std::vector<double> db(c.out_c, 0.0);
  for (std::size_t i = 0; i < dyv.size(); ++i) db[(i / plane) % c.out_c] += dyv[i];
  return db;
}

// max |actual - expected| <= tol * max(1, max |expected|).
void require_close(const Tensor& actual, const std::vector<double>& expected, double tol) {
  const std::vector<double> a = actual.to_vector<double>();
  REQUIRE(a.size() == expected.size());
  double scale = 1.0, worst = 0.0;
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::abs(expected[i]));
    if (std::abs(a[i] - expected[i]) > worst) worst = std::abs(a[i] - expected[i]), worst_at = i;
  }
  INFO("worst element " << worst_at << ": " << a[worst_at] << " vs " << expected[worst_at]);
  REQUIRE(worst <= tol * scale);
}

// The grid of the forward and backward tests: 7x5 images, 4 -> 6 channels.
std::vector<ConvCase> grid() {
  struct Kernel {
    int64_t h, w;
  };
  std::vector<ConvCase> cases;
  bool bias = false;
  for (int64_t batch : {1, 3})
    for (Kernel k : {Kernel{1, 1}, Kernel{3, 3}, Kernel{3, 1}})
      for (int64_t stride : {1, 2})
        for (int64_t pad : {0, 1, 2})
          for (int64_t dil : {1, 2})
            for (int64_t groups : {1, 2}) {
              ConvCase c{batch, 4,   6,   7,
                         5,     k.h, k.w, Conv2dParams::symmetric(stride, pad, dil, groups),
                         bias};
              if (!c.valid()) continue;
              cases.push_back(c);
              bias = !bias;
            }
  return cases;
}

// Larger images and batches, for every plan of the CPU path: images spread over threads
// one by one or several per GEMM (with a ragged last chunk), the whole batch in one GEMM,
// pointwise convolutions read in place or folded; asymmetric parameters; stride 3.
std::vector<ConvCase> plan_cases() {
  return {
      {5, 3, 8, 20, 18, 3, 3, Conv2dParams::symmetric(1, 1), true},
      {9, 4, 6, 9, 11, 3, 3, Conv2dParams::symmetric(1, 1, 1, 2), false},
      {9, 6, 4, 9, 11, 1, 1, Conv2dParams::symmetric(1, 0), true},
      {3, 4, 6, 17, 16, 1, 1, Conv2dParams::symmetric(1, 0, 1, 2), true},
      {2, 6, 4, 13, 9, 1, 1, Conv2dParams::symmetric(1, 0, 1, 2), false},
      {4, 4, 6, 12, 12, 2, 3, Conv2dParams{2, 1, 1, 0, 1, 2, 1}, true},
      {17, 2, 3, 16, 16, 3, 3, Conv2dParams::symmetric(2, 1), true},
      {17, 4, 8, 33, 33, 3, 3, Conv2dParams::symmetric(1, 1), false},
      {3, 4, 6, 11, 13, 3, 3, Conv2dParams::symmetric(3, 1), true},
  };
}

struct Operands {
  Tensor x, w, b, dy;
};

Operands make_operands(const ConvCase& c, Generator& gen, DType dtype = DType::f64) {
  Operands o;
  o.x = randn(c.x_shape(), gen, dtype);
  o.w = randn(c.w_shape(), gen, dtype);
  if (c.bias) o.b = randn({c.out_c}, gen, dtype);
  o.dy = randn(c.y_shape(), gen, dtype);
  return o;
}

// Runs all four functions on `c` and checks them against the direct loops.
void check_against_naive(const ConvCase& c, const Operands& o, double tol = 1e-12) {
  INFO(c.str());
  require_close(conv2d_forward(o.x, o.w, o.b, c.params), naive_forward(c, o.x, o.w, o.b), tol);
  const Tensor dx = conv2d_backward_input(o.dy, o.w, c.x_shape(), c.params);
  REQUIRE(dx.shape() == c.x_shape());
  require_close(dx, naive_backward_input(c, o.dy, o.w), tol);
  const Tensor dw = conv2d_backward_weight(o.dy, o.x, c.w_shape(), c.params);
  REQUIRE(dw.shape() == c.w_shape());
  require_close(dw, naive_backward_weight(c, o.dy, o.x), tol);
  require_close(conv2d_backward_bias(o.dy), naive_backward_bias(c, o.dy), tol);
}

// The tests fix the thread count so the plans they cover do not depend on the machine.
struct TwoThreads {
  TwoThreads() { set_num_threads(2); }
  ~TwoThreads() { set_num_threads(0); }
};

}  // namespace

TEST_CASE("conv2d: forward and backward match direct loops over the parameter grid") {
  TwoThreads threads;
  Generator gen(7);
  const std::vector<ConvCase> cases = grid();
  REQUIRE(cases.size() > 100);
  for (const ConvCase& c : cases) check_against_naive(c, make_operands(c, gen));
}

TEST_CASE("conv2d: every GEMM plan matches direct loops") {
  TwoThreads threads;
  Generator gen(8);
  bool parallel_single = false, parallel_ragged = false, one_chunk_folded = false;
  bool pointwise_direct = false, pointwise_folded = false;
  for (const ConvCase& c : plan_cases()) {
    const Conv2dCpuPlan plan = conv2d_cpu_plan(c.x_shape(), c.w_shape(), c.params);
    const bool folded = plan.images_per_gemm > 1;
    const bool pointwise = c.kernel_h == 1 && c.kernel_w == 1 && c.params.stride_h == 1 &&
                           c.params.stride_w == 1 && c.params.pad_h == 0 && c.params.pad_w == 0;
    parallel_single = parallel_single || (plan.chunks_in_parallel && !folded);
    parallel_ragged = parallel_ragged ||
                      (plan.chunks_in_parallel && folded && c.batch % plan.images_per_gemm != 0);
    one_chunk_folded = one_chunk_folded || (!plan.chunks_in_parallel && folded);
    pointwise_direct = pointwise_direct || (pointwise && plan.chunks_in_parallel && !folded);
    pointwise_folded = pointwise_folded || (pointwise && folded);
    check_against_naive(c, make_operands(c, gen));
  }
  // The cases above must reach every branch of the CPU path.
  CHECK(parallel_single);
  CHECK(parallel_ragged);
  CHECK(one_chunk_folded);
  CHECK(pointwise_direct);
  CHECK(pointwise_folded);
}

TEST_CASE("conv2d: the plan multiplies out to the convolution's GEMM sizes") {
  TwoThreads threads;
  const Conv2dCpuPlan plan =
      conv2d_cpu_plan({8, 6, 10, 12}, {4, 3, 3, 3}, Conv2dParams::symmetric(2, 1, 1, 2));
  CHECK(plan.gemm_m == 2);
  CHECK(plan.gemm_k == 3 * 3 * 3);
  CHECK(plan.gemm_n == plan.images_per_gemm * 5 * 6);
  CHECK(plan.images_per_gemm >= 1);
  CHECK(plan.images_per_gemm <= 8);
}

TEST_CASE("conv2d: single-threaded runs match direct loops") {
  Generator gen(9);
  set_num_threads(1);
  for (const ConvCase& c : plan_cases()) check_against_naive(c, make_operands(c, gen));
  set_num_threads(0);
}

TEST_CASE("conv2d: non-contiguous operands") {
  TwoThreads threads;
  Generator gen(10);
  for (int64_t batch : {1, 5}) {
    const ConvCase c{batch, 4, 6, 9, 7, 3, 3, Conv2dParams::symmetric(1, 1, 1, 2), true};
    const Operands o = make_operands(c, gen);
    INFO("batch " << batch);

    // Channel slices of bigger tensors: read in place.
    Tensor x_big = randn({batch, 9, 9, 7}, gen, DType::f64);
    x_big.narrow(1, 3, 4).copy_(o.x);
    Tensor dy_big = randn({batch, 10, c.out_h(), c.out_w()}, gen, DType::f64);
    dy_big.narrow(1, 1, 6).copy_(o.dy);
    const Operands sliced{x_big.narrow(1, 3, 4), o.w, o.b, dy_big.narrow(1, 1, 6)};
    if (batch > 1) REQUIRE_FALSE(sliced.x.is_contiguous());
    check_against_naive(c, sliced);

    // Transposed H/W planes, transposed weight taps, a strided bias.
    Tensor x_t = empty({batch, 4, 7, 9}, DType::f64).transpose(2, 3);
    x_t.copy_(o.x);
    Tensor w_t = empty({6, 2, 3, 3}, DType::f64).transpose(2, 3);
    w_t.copy_(o.w);
    Tensor b_s = zeros({6, 2}, DType::f64).narrow(1, 1, 1).squeeze(1);
    b_s.copy_(o.b);
    Tensor dy_t = empty({batch, 6, c.out_w(), c.out_h()}, DType::f64).transpose(2, 3);
    dy_t.copy_(o.dy);
    REQUIRE_FALSE(x_t.is_contiguous());
    REQUIRE_FALSE(b_s.is_contiguous());
    check_against_naive(c, {x_t, w_t, b_s, dy_t});

    // Channels-last memory (a permuted view).
    Tensor x_cl = empty({batch, 9, 7, 4}, DType::f64).permute({0, 3, 1, 2});
    x_cl.copy_(o.x);
    check_against_naive(c, {x_cl, o.w, o.b, o.dy});
  }
}

TEST_CASE("conv2d: f32 agrees with f64") {
  TwoThreads threads;
  Generator gen(11);
  const std::vector<ConvCase> cases = {
      {4, 16, 24, 12, 10, 3, 3, Conv2dParams::symmetric(1, 1), true},
      {3, 32, 16, 8, 8, 1, 1, Conv2dParams::symmetric(1, 0), true},
      {1, 8, 8, 11, 9, 3, 3, Conv2dParams::symmetric(2, 2, 2, 2), false},
  };
  for (const ConvCase& c : cases) {
    INFO(c.str());
    const Operands o = make_operands(c, gen);
    const auto f32 = [](const Tensor& t) { return t.defined() ? t.to(DType::f32) : t; };
    const Tensor y = conv2d_forward(f32(o.x), f32(o.w), f32(o.b), c.params);
    REQUIRE(y.dtype() == DType::f32);
    require_close(y, conv2d_forward(o.x, o.w, o.b, c.params).to_vector<double>(), 1e-5);
    require_close(conv2d_backward_input(f32(o.dy), f32(o.w), c.x_shape(), c.params),
                  conv2d_backward_input(o.dy, o.w, c.x_shape(), c.params).to_vector<double>(),
                  1e-5);
    require_close(conv2d_backward_weight(f32(o.dy), f32(o.x), c.w_shape(), c.params),
                  conv2d_backward_weight(o.dy, o.x, c.w_shape(), c.params).to_vector<double>(),
                  1e-5);
    require_close(conv2d_backward_bias(f32(o.dy)), conv2d_backward_bias(o.dy).to_vector<double>(),
                  1e-5);
  }
}

// Forces an f32 convolution algorithm for the scope of a test.
struct CpuAlgorithm {
  explicit CpuAlgorithm(Conv2dCpuAlgorithm a) { set_conv2d_cpu_algorithm(a); }
  ~CpuAlgorithm() { set_conv2d_cpu_algorithm(Conv2dCpuAlgorithm::automatic); }
};

TEST_CASE("conv2d: the direct f32 kernel matches direct loops") {
  TwoThreads threads;
  CpuAlgorithm direct(Conv2dCpuAlgorithm::direct);
  Generator gen(13);
  const auto sym = [](int64_t pad) { return Conv2dParams::symmetric(1, pad); };
  // Output channels 1-20 cover every block split (6s, 4 + 4, remainders 1-6); widths that
  // are not multiples of 8 end in a masked tile; odd heights end in a single-row tile;
  // kernels 5x5, 1x3, 3x1 and 2x2 with asymmetric padding; batch 1 and 3.
  std::vector<ConvCase> cases;
  for (int64_t out_c : {1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 20})
    cases.push_back({3, 5, out_c, 9, 13, 3, 3, sym(1), out_c % 2 == 1});
  cases.push_back({1, 8, 16, 32, 32, 3, 3, sym(1), true});
  cases.push_back({3, 12, 12, 28, 28, 3, 3, sym(1), false});
  cases.push_back({2, 3, 7, 8, 8, 5, 5, sym(2), true});
  cases.push_back({2, 4, 6, 7, 11, 1, 3, Conv2dParams{1, 1, 0, 1, 1, 1, 1}, false});
  cases.push_back({2, 4, 6, 11, 7, 3, 1, Conv2dParams{1, 1, 1, 0, 1, 1, 1}, true});
  cases.push_back({2, 4, 9, 6, 10, 2, 2, sym(0), true});
  cases.push_back({2, 9, 8, 10, 6, 3, 3, sym(0), false});
  cases.push_back({2, 9, 8, 5, 4, 3, 3, sym(2), true});
  // 64 channels of 20-wide rows: the image is done in bands of 16 output rows, 21 rows make a
  // last band of 5 (two pairs and a single row).
  cases.push_back({2, 64, 10, 21, 20, 3, 3, sym(1), true});
  for (const ConvCase& c : cases) {
    INFO(c.str());
    if (ops::detail::direct_conv_cpu_supported())
      REQUIRE(conv2d_cpu_plan(c.x_shape(), c.w_shape(), c.params).direct_f32);
    check_against_naive(c, make_operands(c, gen, DType::f32), 1e-5);
  }
  // An input that is a channel slice of a bigger tensor is read in place.
  const ConvCase c{3, 6, 10, 12, 9, 3, 3, sym(1), true};
  const Tensor wide = randn({3, 10, 12, 9}, gen);
  Operands o = make_operands(c, gen, DType::f32);
  o.x = wide.narrow(1, 3, 6);
  check_against_naive(c, o, 1e-5);
}

TEST_CASE("conv2d: the direct f32 kernel pads rows of every width") {
  TwoThreads threads;
  CpuAlgorithm direct(Conv2dCpuAlgorithm::direct);
  Generator gen(15);
  // The padded copy writes rows in 8-float stores, the last one overlapping the one before:
  // input widths 1-33 (shorter than one store, exactly one, one and a bit, several), padding
  // 0-2, with channel counts 1-20 in and out so the blocks and their remainders vary too.
  const int64_t widths[] = {1, 2, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33};
  int64_t i = 0;
  for (int64_t in_w : widths)
    for (int64_t pad : {0, 1, 2}) {
      const int64_t in_c = 1 + (i * 7) % 20, out_c = 1 + (i * 11 + 3) % 20;
      const int64_t in_h = 1 + (i * 5) % 33;
      ++i;
      const ConvCase c{2,         in_c, out_c, in_h, in_w, 3, 3, Conv2dParams::symmetric(1, pad),
                       i % 2 == 0};
      if (!c.valid()) continue;
      INFO(c.str());
      if (ops::detail::direct_conv_cpu_supported())
        REQUIRE(conv2d_cpu_plan(c.x_shape(), c.w_shape(), c.params).direct_f32);
      check_against_naive(c, make_operands(c, gen, DType::f32), 1e-5);
    }
}

TEST_CASE("conv2d: the direct and GEMM f32 algorithms agree on the HS-ResNet shapes") {
  TwoThreads threads;
  Generator gen(14);
  const std::vector<ConvCase> cases = {
      {4, 14, 14, 32, 32, 3, 3, Conv2dParams::symmetric(1, 1), false},
      {4, 28, 28, 16, 16, 3, 3, Conv2dParams::symmetric(1, 1), false},
      {4, 56, 56, 8, 8, 3, 3, Conv2dParams::symmetric(1, 1), true},
  };
  for (const ConvCase& c : cases) {
    INFO(c.str());
    const Operands o = make_operands(c, gen, DType::f32);
    Tensor y_gemm, dx_gemm, dw_gemm;
    {
      CpuAlgorithm gemm(Conv2dCpuAlgorithm::gemm);
      REQUIRE_FALSE(conv2d_cpu_plan(c.x_shape(), c.w_shape(), c.params).direct_f32);
      y_gemm = conv2d_forward(o.x, o.w, o.b, c.params);
      dx_gemm = conv2d_backward_input(o.dy, o.w, c.x_shape(), c.params);
      dw_gemm = conv2d_backward_weight(o.dy, o.x, c.w_shape(), c.params);
    }
    // The default choice, then the direct kernel wherever it applies.
    for (Conv2dCpuAlgorithm a : {Conv2dCpuAlgorithm::automatic, Conv2dCpuAlgorithm::direct}) {
      CpuAlgorithm algorithm(a);
      require_close(conv2d_forward(o.x, o.w, o.b, c.params), y_gemm.to_vector<double>(), 1e-5);
      require_close(conv2d_backward_input(o.dy, o.w, c.x_shape(), c.params),
                    dx_gemm.to_vector<double>(), 1e-5);
      require_close(conv2d_backward_weight(o.dy, o.x, c.w_shape(), c.params),
                    dw_gemm.to_vector<double>(), 1e-5);
    }
  }
}

TEST_CASE("conv2d: the ReLU activation equals a ReLU after the convolution on every path") {
  TwoThreads threads;
  Generator gen(16);
  const auto sym = [](int64_t pad) { return Conv2dParams::symmetric(1, pad); };
  // Direct-kernel shapes (3x3, few channels; widths with a masked tail), GEMM shapes (a 1x1
  // with and without bias, a single image, a stride-2 3x3), f32 and f64.
  const std::vector<ConvCase> cases = {
      {3, 5, 7, 9, 13, 3, 3, sym(1), true},
      {2, 8, 6, 8, 8, 3, 3, sym(1), false},
      {4, 6, 10, 8, 8, 1, 1, sym(0), true},
      {4, 6, 10, 8, 8, 1, 1, sym(0), false},
      {1, 6, 10, 8, 8, 1, 1, sym(0), false},
      {3, 4, 5, 9, 9, 3, 3, Conv2dParams::symmetric(2, 1), true},
  };
  for (Conv2dCpuAlgorithm a :
       {Conv2dCpuAlgorithm::automatic, Conv2dCpuAlgorithm::gemm, Conv2dCpuAlgorithm::direct})
    for (DType dtype : {DType::f32, DType::f64})
      for (const ConvCase& c : cases) {
        INFO(c.str() << " algorithm " << static_cast<int>(a) << " " << dtype_name(dtype));
        CpuAlgorithm algorithm(a);
        const Operands o = make_operands(c, gen, dtype);
        const Tensor plain = conv2d_forward(o.x, o.w, o.b, c.params);
        const Tensor fused = conv2d_forward(o.x, o.w, o.b, c.params, ops::Conv2dActivation::relu);
        const std::vector<double> p = plain.to_vector<double>(), f = fused.to_vector<double>();
        REQUIRE(f.size() == p.size());
        int64_t clipped = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
          REQUIRE(f[i] == std::max(p[i], 0.0));
          clipped += p[i] < 0;
        }
        REQUIRE(clipped > 0);
      }
}

TEST_CASE("conv2d: repeated calls of different sizes reuse scratch memory correctly") {
  TwoThreads threads;
  Generator gen(12);
  // Large, then small, then large again: the thread-local buffers never shrink, and stale
  // columns of a larger problem must not leak into a smaller one.
  const std::vector<ConvCase> cases = {
      {6, 8, 8, 16, 16, 3, 3, Conv2dParams::symmetric(1, 1), false},
      {6, 2, 3, 5, 4, 3, 3, Conv2dParams::symmetric(1, 2), false},
      {6, 8, 8, 16, 16, 3, 3, Conv2dParams::symmetric(1, 1), false},
  };
  for (const ConvCase& c : cases) check_against_naive(c, make_operands(c, gen));
}

TEST_CASE("conv2d: im2col index arithmetic") {
  SECTION("output size") {
    for (int64_t in = 1; in <= 9; ++in)
      for (int64_t k = 1; k <= 4; ++k)
        for (int64_t s = 1; s <= 3; ++s)
          for (int64_t p = 0; p <= 2; ++p)
            for (int64_t d = 1; d <= 2; ++d) {
              int64_t count = 0;  // output positions whose window ends inside the padding
              for (int64_t o = 0; o * s + d * (k - 1) < in + 2 * p; ++o) ++count;
              INFO("in " << in << " k " << k << " s " << s << " p " << p << " d " << d);
              const int64_t got = conv_output_size(in, k, s, p, d);
              if (count == 0)
                CHECK(got < 1);
              else
                CHECK(got == count);
            }
  }
  SECTION("input offsets and valid row and column ranges") {
    struct Axis {
      int64_t in, kernel, stride, pad, dil, out;
    };
    // (height, width) pairs; the expected output extents are worked out by hand.
    const std::vector<std::pair<Axis, Axis>> axes = {
        {{6, 3, 2, 1, 2, 2}, {7, 2, 3, 2, 1, 4}},
        {{5, 2, 1, 2, 1, 8}, {6, 3, 1, 0, 2, 2}},
    };
    for (const auto& [h, w] : axes) {
      REQUIRE(conv_output_size(h.in, h.kernel, h.stride, h.pad, h.dil) == h.out);
      REQUIRE(conv_output_size(w.in, w.kernel, w.stride, w.pad, w.dil) == w.out);
      const int64_t channels = 3;
      const Im2colGeometry g{channels, h.in,     w.in,  h.kernel, w.kernel, h.out, w.out,
                             h.stride, w.stride, h.pad, w.pad,    h.dil,    w.dil};
      REQUIRE(g.column_rows() == channels * h.kernel * w.kernel);
      REQUIRE(g.column_cols() == h.out * w.out);
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t kh = 0; kh < h.kernel; ++kh)
          for (int64_t kw = 0; kw < w.kernel; ++kw) {
            const int64_t row = (c * h.kernel + kh) * w.kernel + kw;
            int64_t rc, rkh, rkw;
            g.split_row(row, rc, rkh, rkw);
            REQUIRE((rc == c && rkh == kh && rkw == kw));
            int64_t first, last, top, bottom;
            g.valid_cols(kw, first, last);
            g.valid_rows(kh, top, bottom);
            for (int64_t oh = 0; oh < h.out; ++oh)
              for (int64_t ow = 0; ow < w.out; ++ow) {
                const int64_t ih = oh * h.stride - h.pad + kh * h.dil;
                const int64_t iw = ow * w.stride - w.pad + kw * w.dil;
                const bool row_inside = ih >= 0 && ih < h.in, col_inside = iw >= 0 && iw < w.in;
                INFO("c " << c << " kh " << kh << " kw " << kw << " oh " << oh << " ow " << ow);
                CHECK(g.input_offset(row, oh * w.out + ow) ==
                      (row_inside && col_inside ? (c * h.in + ih) * w.in + iw : -1));
                CHECK((ow >= first && ow < last) == col_inside);
                CHECK((oh >= top && oh < bottom) == row_inside);
              }
          }
    }
  }
}

TEST_CASE("conv2d: argument errors") {
  Generator gen(13);
  const Tensor x = randn({8, 3, 32, 32}, gen);
  const Tensor w = randn({32, 3, 3, 3}, gen);
  const Conv2dParams p = Conv2dParams::symmetric(1, 1);
  const auto throws = [](auto&& call, const std::string& part) {
    REQUIRE_THROWS_AS(call(), Error);
    REQUIRE_THROWS_WITH(call(), Catch::Contains("conv2d") && Catch::Contains(part));
  };

  SECTION("channel mismatch") {
    const Tensor w16 = randn({32, 16, 3, 3}, gen);
    REQUIRE_THROWS_WITH(conv2d_forward(x, w16, Tensor(), p),
                        "conv2d: input has 3 channels but weight expects 16 (input "
                        "[8,3,32,32], weight [32,16,3,3])");
    const Tensor x8 = randn({2, 8, 6, 6}, gen);
    throws(
        [&] {
          return conv2d_forward(x8, randn({4, 3, 3, 3}, gen), Tensor(),
                                Conv2dParams::symmetric(1, 1, 1, 2));
        },
        "input has 8 channels but weight expects 6 (3 per group, 2 groups");
  }
  SECTION("ranks") {
    throws([&] { return conv2d_forward(x.flatten(2), w, Tensor(), p); }, "4-D");
    throws([&] { return conv2d_forward(x, w.flatten(1), Tensor(), p); }, "4-D");
    throws([&] { return conv2d_backward_bias(randn({4, 5}, gen)); }, "4-D");
  }
  SECTION("kernel larger than the padded input") {
    const Tensor small = randn({1, 3, 2, 5}, gen);
    throws([&] { return conv2d_forward(small, w, Tensor(), Conv2dParams::symmetric(1, 0)); },
           "does not fit");
    throws([&] { return conv2d_forward(small, w, Tensor(), Conv2dParams::symmetric(1, 1, 2)); },
           "does not fit");
  }
  SECTION("stride, padding, dilation, groups") {
    throws(
        [&] {
          return conv2d_forward(x, w, Tensor(), Conv2dParams{0, 1, 1, 1, 1, 1, 1});
        },
        "stride");
    throws(
        [&] {
          return conv2d_forward(x, w, Tensor(), Conv2dParams{1, 1, 1, -1, 1, 1, 1});
        },
        "padding");
    throws(
        [&] {
          return conv2d_forward(x, w, Tensor(), Conv2dParams{1, 1, 1, 1, 0, 1, 1});
        },
        "dilation");
    throws([&] { return conv2d_forward(x, w, Tensor(), Conv2dParams::symmetric(1, 1, 1, 0)); },
           "groups");
    throws(
        [&] {
          return conv2d_forward(x, randn({32, 1, 3, 3}, gen), Tensor(),
                                Conv2dParams::symmetric(1, 1, 1, 2));
        },
        "2 groups do not divide the input's 3 channels");
    throws(
        [&] {
          return conv2d_forward(randn({1, 4, 5, 5}, gen), randn({5, 2, 3, 3}, gen), Tensor(),
                                Conv2dParams::symmetric(1, 1, 1, 2));
        },
        "2 groups do not divide the weight's 5 output channels");
  }
  SECTION("bias") {
    throws([&] { return conv2d_forward(x, w, randn({16}, gen), p); }, "bias must have shape [32]");
    throws([&] { return conv2d_forward(x, w, randn({1, 32}, gen), p); }, "bias");
    throws([&] { return conv2d_forward(x, w, randn({32}, gen, DType::f64), p); }, "dtypes");
  }
  SECTION("dtypes and devices") {
    throws([&] { return conv2d_forward(x, w.to(DType::f64), Tensor(), p); }, "dtypes");
    throws(
        [&] {
          return conv2d_forward(zeros({8, 3, 32, 32}, DType::i64), zeros({32, 3, 3, 3}, DType::i64),
                                Tensor(), p);
        },
        "f32 or f64");
    throws([&] { return conv2d_forward(x, Tensor(), Tensor(), p); }, "undefined");
    if (cuda_available()) {
      const Tensor xc = x.to(Device::cuda());
      throws([&] { return conv2d_forward(xc, w, Tensor(), p); }, "devices");
      throws([&] { return conv2d_forward(xc, w.to(Device::cuda()), randn({32}, gen), p); },
             "devices");
    }
  }
  SECTION("empty batch and empty weight") {
    throws(
        [&] {
          return conv2d_forward(randn({0, 3, 32, 32}, gen), w, Tensor(), p);
        },
        "empty batch");
    throws(
        [&] {
          return conv2d_forward(x, randn({0, 3, 3, 3}, gen), Tensor(), p);
        },
        "weight extents");
  }
  SECTION("backward shapes") {
    const Tensor dy = randn({8, 32, 32, 32}, gen);
    throws([&] { return conv2d_backward_input(dy.narrow(2, 0, 31), w, x.shape(), p); },
           "grad_out has shape [8,32,31,32], expected [8,32,32,32]");
    throws(
        [&] {
          return conv2d_backward_weight(dy, x, Shape{32, 4, 3, 3}, p);
        },
        "input has 3 channels but weight expects 4");
    throws([&] { return conv2d_backward_weight(dy.to(DType::f64), x, w.shape(), p); }, "dtypes");
    throws([&] { return conv2d_backward_input(dy, w, Shape{8, 3, 32}, p); }, "4-D");
  }
}
