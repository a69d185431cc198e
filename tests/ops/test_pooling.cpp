// Max, average and global average pooling: the shared window arithmetic, forward and
// backward against naive f64 loops (odd sizes, batch 1, stride 1/2, padding 0/1,
// rectangular windows, channel slices and non-dense planes), NaN propagation, f32 against
// f64, and every argument error.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/pool_index.h"
#include "ops/op_test_util.h"
#include "ops/pooling.h"

using namespace hs;
using hs::test::require_values;

namespace {

// One pooling configuration with (kh, kw), (sh, sw), (ph, pw).
struct Config {
  const char* name;
  Shape input;
  std::int64_t kh, kw, sh, sw, ph, pw;
  ops::Size2 kernel() const { return {kh, kw}; }
  ops::Size2 stride() const { return {sh, sw}; }
  ops::Size2 padding() const { return {ph, pw}; }
  std::int64_t out_h() const { return (input[2] + 2 * ph - kh) / sh + 1; }
  std::int64_t out_w() const { return (input[3] + 2 * pw - kw) / sw + 1; }
};

const std::vector<Config>& configs() {
  static const std::vector<Config> all = {
      {"3x3 stride 2 pad 1, odd sizes", {2, 3, 7, 9}, 3, 3, 2, 2, 1, 1},
      {"2x2 stride 2, batch 1", {1, 2, 6, 5}, 2, 2, 2, 2, 0, 0},
      {"3x3 stride 1 pad 1", {2, 2, 5, 5}, 3, 3, 1, 1, 1, 1},
      {"rectangular 3x2 stride (1,2) pad (1,0)", {1, 3, 6, 7}, 3, 2, 1, 2, 1, 0},
      {"kernel covers the input", {2, 2, 3, 3}, 3, 3, 1, 1, 0, 0},
      {"large enough for the OpenMP path", {2, 8, 47, 45}, 3, 3, 2, 2, 1, 1},
  };
  return all;
}

// x (logical values) at [n][c][h][w], -inf outside the input (padding).
struct Grid {
  std::vector<double> v;
  Shape s;
  double at(std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) const {
    if (h < 0 || h >= s[2] || w < 0 || w >= s[3]) return -std::numeric_limits<double>::infinity();
    return v[((n * s[1] + c) * s[2] + h) * s[3] + w];
  }
};

struct ReferenceMax {
  std::vector<double> y, indices;
};

ReferenceMax reference_max_pool(const Tensor& x, const Config& cfg) {
  const Grid g{x.to_vector<double>(), x.shape()};
  ReferenceMax r;
  for (std::int64_t n = 0; n < x.size(0); ++n)
    for (std::int64_t c = 0; c < x.size(1); ++c)
      for (std::int64_t oh = 0; oh < cfg.out_h(); ++oh)
        for (std::int64_t ow = 0; ow < cfg.out_w(); ++ow) {
          double best = -std::numeric_limits<double>::infinity();
          std::int64_t best_index = -1;
          for (std::int64_t kh = 0; kh < cfg.kh; ++kh)
            for (std::int64_t kw = 0; kw < cfg.kw; ++kw) {
              const std::int64_t h = oh * cfg.sh - cfg.ph + kh, w = ow * cfg.sw - cfg.pw + kw;
              if (g.at(n, c, h, w) > best) {
                best = g.at(n, c, h, w);
                best_index = h * x.size(3) + w;
              }
            }
          r.y.push_back(best);
          r.indices.push_back(static_cast<double>(best_index));
        }
  return r;
}

std::vector<double> reference_avg_pool(const Tensor& x, const Config& cfg, bool include_pad) {
  const Grid g{x.to_vector<double>(), x.shape()};
  std::vector<double> y;
  for (std::int64_t n = 0; n < x.size(0); ++n)
    for (std::int64_t c = 0; c < x.size(1); ++c)
      for (std::int64_t oh = 0; oh < cfg.out_h(); ++oh)
        for (std::int64_t ow = 0; ow < cfg.out_w(); ++ow) {
          double sum = 0;
          int inside = 0;
          for (std::int64_t kh = 0; kh < cfg.kh; ++kh)
            for (std::int64_t kw = 0; kw < cfg.kw; ++kw) {
              const double v = g.at(n, c, oh * cfg.sh - cfg.ph + kh, ow * cfg.sw - cfg.pw + kw);
              if (std::isinf(v)) continue;
              sum += v;
              ++inside;
            }
          y.push_back(sum / (include_pad ? cfg.kh * cfg.kw : inside));
        }
  return y;
}

// dx of the average pool: each dy cell's share added to every real cell of its window.
std::vector<double> reference_avg_pool_backward(const Tensor& dy, const Config& cfg,
                                                bool include_pad) {
  const std::vector<double> d = dy.to_vector<double>();
  const Shape& s = cfg.input;
  std::vector<double> dx(s.numel(), 0.0);
  std::int64_t k = 0;
  for (std::int64_t n = 0; n < s[0]; ++n)
    for (std::int64_t c = 0; c < s[1]; ++c)
      for (std::int64_t oh = 0; oh < cfg.out_h(); ++oh)
        for (std::int64_t ow = 0; ow < cfg.out_w(); ++ow, ++k) {
          std::vector<std::int64_t> cells;
          for (std::int64_t kh = 0; kh < cfg.kh; ++kh)
            for (std::int64_t kw = 0; kw < cfg.kw; ++kw) {
              const std::int64_t h = oh * cfg.sh - cfg.ph + kh, w = ow * cfg.sw - cfg.pw + kw;
              if (h >= 0 && h < s[2] && w >= 0 && w < s[3])
                cells.push_back(((n * s[1] + c) * s[2] + h) * s[3] + w);
            }
          const double divisor = include_pad ? static_cast<double>(cfg.kh * cfg.kw)
                                             : static_cast<double>(cells.size());
          for (std::int64_t cell : cells) dx[cell] += d[k] / divisor;
        }
  return dx;
}

Tensor randn64(const Shape& shape, Generator& gen) { return randn(shape, gen, DType::f64); }

// The same values as `x` in three layouts: contiguous, a channel slice of a wider tensor,
// and planes stored transposed (not dense, so copied by the operator).
std::vector<Tensor> layouts(const Tensor& x, Generator& gen) {
  Tensor wide = randn64({x.size(0), x.size(1) + 3, x.size(2), x.size(3)}, gen);
  Tensor slice = wide.narrow(1, 2, x.size(1));
  slice.copy_(x);
  Tensor base = empty({x.size(0), x.size(1), x.size(3), x.size(2)}, {DType::f64});
  Tensor transposed = base.transpose(2, 3);
  transposed.copy_(x);
  return {x, slice, transposed};
}

}  // namespace

TEST_CASE("pool_index: output sizes and clipped windows") {
  const ops::PoolAxis k3s2p1{3, 2, 1};
  REQUIRE(ops::pool_output_size(7, k3s2p1) == 4);
  REQUIRE(ops::pool_output_size(8, k3s2p1) == 4);
  REQUIRE(ops::pool_output_size(2, ops::PoolAxis{2, 2, 0}) == 1);
  REQUIRE(ops::pool_output_size(2, ops::PoolAxis{3, 1, 0}) == 0);
  REQUIRE(ops::pool_output_size(1, ops::PoolAxis{3, 1, 1}) == 1);

  const ops::PoolWindow first = ops::pool_window(0, 7, k3s2p1);  // covers -1..1
  REQUIRE(first.begin == 0);
  REQUIRE(first.end == 2);
  REQUIRE(first.padded_count == 3);
  const ops::PoolWindow last = ops::pool_window(3, 7, k3s2p1);  // covers 5..7
  REQUIRE(last.begin == 5);
  REQUIRE(last.end == 7);
  REQUIRE(last.padded_count == 3);
  const ops::PoolWindow inner = ops::pool_window(1, 8, ops::PoolAxis{2, 3, 0});  // 3..4
  REQUIRE(inner.begin == 3);
  REQUIRE(inner.end == 5);
  REQUIRE(inner.padded_count == 2);
}

TEST_CASE("pool_index: the windows covering an input cell are the inverse of pool_window") {
  for (std::int64_t in = 1; in <= 9; ++in)
    for (std::int64_t kernel = 1; kernel <= 4; ++kernel)
      for (std::int64_t stride = 1; stride <= 3; ++stride)
        for (std::int64_t pad = 0; pad <= kernel / 2; ++pad) {
          const ops::PoolAxis axis{kernel, stride, pad};
          const std::int64_t out = ops::pool_output_size(in, axis);
          for (std::int64_t i = 0; i < in; ++i) {
            INFO("in " << in << " kernel " << kernel << " stride " << stride << " pad " << pad
                       << " cell " << i);
            const ops::PoolCover cover = ops::pool_cover(i, out, axis);
            REQUIRE(cover.first <= cover.last);
            for (std::int64_t o = 0; o < out; ++o) {
              const ops::PoolWindow w = ops::pool_window(o, in, axis);
              REQUIRE((i >= w.begin && i < w.end) == (o >= cover.first && o < cover.last));
            }
          }
        }
}

TEST_CASE("max_pool2d: forward, argmax and backward match naive loops") {
  Generator gen(201);
  for (const Config& cfg : configs()) {
    const Tensor x = randn64(cfg.input, gen);
    const ReferenceMax ref = reference_max_pool(x, cfg);
    const Tensor dy = randn64({cfg.input[0], cfg.input[1], cfg.out_h(), cfg.out_w()}, gen);
    std::vector<double> dx_ref(x.numel(), 0.0);
    const std::vector<double> d = dy.to_vector<double>();
    const std::int64_t plane = cfg.input[2] * cfg.input[3];
    const std::int64_t out_plane = cfg.out_h() * cfg.out_w();
    for (std::size_t k = 0; k < d.size(); ++k)
      dx_ref[(k / out_plane) * plane + static_cast<std::int64_t>(ref.indices[k])] += d[k];

    int layout_nr = 0;
    for (const Tensor& in : layouts(x, gen)) {
      INFO(cfg.name << ", layout " << layout_nr++);
      const ops::MaxPool2dForward f =
          ops::max_pool2d_forward(in, cfg.kernel(), cfg.stride(), cfg.padding());
      REQUIRE(f.y.shape() == Shape{cfg.input[0], cfg.input[1], cfg.out_h(), cfg.out_w()});
      REQUIRE(f.indices.dtype() == DType::i64);
      require_values(f.y, ref.y, 0);
      require_values(f.indices, ref.indices, 0);
      const Tensor dx = ops::max_pool2d_backward(dy.transpose(2, 3).contiguous().transpose(2, 3),
                                                 f.indices, x.shape());
      require_values(dx, dx_ref, 1e-15);
    }
  }
}

TEST_CASE("max_pool2d: stride defaults to the kernel; NaN propagates; padding never wins") {
  const Tensor x =
      from_vector<double>({1, 5, 2, 0, -3, -1, 4, 7, 6, 2, -8, -9, 3, 1, -7, -6}, {1, 1, 4, 4});
  const ops::MaxPool2dForward f = ops::max_pool2d_forward(x, 2);
  require_values(f.y, {5, 7, 6, -6}, 0);
  require_values(f.indices, {1, 7, 8, 15}, 0);

  // All-negative input with padding: the padded cells (-inf) never win.
  const Tensor neg = from_vector<double>({-5, -4, -3, -2}, {1, 1, 2, 2});
  const ops::MaxPool2dForward p = ops::max_pool2d_forward(neg, 3, 1, 1);
  require_values(p.y, {-2, -2, -2, -2}, 0);

  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Tensor with_nan = from_vector<double>({1, nan, 2, 3}, {1, 1, 2, 2});
  const ops::MaxPool2dForward n = ops::max_pool2d_forward(with_nan, 2);
  REQUIRE(std::isnan(n.y.item()));
  REQUIRE(n.indices.item() == 1);
}

TEST_CASE("avg_pool2d: forward and backward match naive loops, with and without padding counted") {
  Generator gen(202);
  for (const Config& cfg : configs()) {
    for (bool include_pad : {true, false}) {
      const Tensor x = randn64(cfg.input, gen);
      const std::vector<double> ref = reference_avg_pool(x, cfg, include_pad);
      const Tensor dy = randn64({cfg.input[0], cfg.input[1], cfg.out_h(), cfg.out_w()}, gen);
      const std::vector<double> dx_ref = reference_avg_pool_backward(dy, cfg, include_pad);
      int layout_nr = 0;
      for (const Tensor& in : layouts(x, gen)) {
        INFO(cfg.name << (include_pad ? ", padding counted" : ", padding not counted")
                      << ", layout " << layout_nr++);
        const Tensor y =
            ops::avg_pool2d_forward(in, cfg.kernel(), cfg.stride(), cfg.padding(), include_pad);
        require_values(y, ref, 1e-14);
        const Tensor dx =
            ops::avg_pool2d_backward(dy.transpose(2, 3).contiguous().transpose(2, 3), cfg.input,
                                     cfg.kernel(), cfg.stride(), cfg.padding(), include_pad);
        require_values(dx, dx_ref, 1e-14);
      }
    }
  }
}

TEST_CASE("global_avg_pool2d: forward and backward match naive loops") {
  Generator gen(203);
  for (const Shape& shape : {Shape{2, 3, 5, 7}, Shape{1, 4, 1, 1}, Shape{3, 2, 4, 4}}) {
    const Tensor x = randn64(shape, gen);
    const std::vector<double> v = x.to_vector<double>();
    const std::int64_t plane = shape[2] * shape[3];
    std::vector<double> ref;
    for (std::int64_t p = 0; p < shape[0] * shape[1]; ++p) {
      double sum = 0;
      for (std::int64_t i = 0; i < plane; ++i) sum += v[p * plane + i];
      ref.push_back(sum / plane);
    }
    const Tensor dy = randn64({shape[0], shape[1], 1, 1}, gen);
    const std::vector<double> d = dy.to_vector<double>();
    std::vector<double> dx_ref;
    for (std::int64_t p = 0; p < shape[0] * shape[1]; ++p)
      for (std::int64_t i = 0; i < plane; ++i) dx_ref.push_back(d[p] / plane);
    for (const Tensor& in : layouts(x, gen)) {
      INFO("shape " << shape);
      const Tensor y = ops::global_avg_pool2d_forward(in);
      REQUIRE(y.shape() == Shape{shape[0], shape[1], 1, 1});
      require_values(y, ref, 1e-14);
    }
    // A gradient whose N and C strides are swapped.
    const Tensor dy_strided = dy.transpose(0, 1).contiguous().transpose(0, 1);
    require_values(ops::global_avg_pool2d_backward(dy_strided, shape), dx_ref, 1e-15);
  }
}

TEST_CASE("pooling: f32 agrees with f64") {
  Generator gen(204);
  const Tensor x = randn64({2, 5, 9, 8}, gen);
  const Tensor x32 = x.to(DType::f32);
  const ops::MaxPool2dForward m64 = ops::max_pool2d_forward(x, 3, 2, 1);
  const ops::MaxPool2dForward m32 = ops::max_pool2d_forward(x32, 3, 2, 1);
  REQUIRE(m32.y.dtype() == DType::f32);
  require_values(m32.y, m64.y.to_vector<double>(), 1e-6);
  require_values(m32.indices, m64.indices.to_vector<double>(), 0);
  const Tensor a64 = ops::avg_pool2d_forward(x, 3, 2, 1);
  const Tensor a32 = ops::avg_pool2d_forward(x32, 3, 2, 1);
  REQUIRE(a32.dtype() == DType::f32);
  require_values(a32, a64.to_vector<double>(), 1e-6);
  const Tensor dy = randn64(a64.shape(), gen);
  require_values(ops::avg_pool2d_backward(dy.to(DType::f32), x.shape(), 3, 2, 1),
                 ops::avg_pool2d_backward(dy, x.shape(), 3, 2, 1).to_vector<double>(), 1e-6);
  require_values(ops::max_pool2d_backward(dy.to(DType::f32), m32.indices, x.shape()),
                 ops::max_pool2d_backward(dy, m64.indices, x.shape()).to_vector<double>(), 1e-6);
  require_values(ops::global_avg_pool2d_forward(x32),
                 ops::global_avg_pool2d_forward(x).to_vector<double>(), 1e-6);
}

TEST_CASE("pooling: argument errors name the operation") {
  Generator gen(205);
  const Tensor x = randn64({1, 2, 5, 5}, gen);
  using Catch::Contains;
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(x, 0), Contains("max_pool2d") && Contains("kernel"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(x, 2, 0),
                      Contains("max_pool2d") && Contains("stride"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(x, 3, 1, 2),
                      Contains("max_pool2d") && Contains("padding [2,2]"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(x, 3, 1, -1), Contains("padding"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(randn64({1, 1, 2, 2}, gen), 3),
                      Contains("max_pool2d") && Contains("too small"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(randn64({2, 5, 5}, gen), 2),
                      Contains("max_pool2d") && Contains("4-D"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_forward(zeros({1, 1, 4, 4}, DType::i64), 2),
                      Contains("max_pool2d") && Contains("i64"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_forward(x, 2, ops::Size2{1, 0}),
                      Contains("avg_pool2d") && Contains("stride"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_forward(x, {2, 0}),
                      Contains("avg_pool2d") && Contains("kernel"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_forward(x, 2, 1, {0, 2}),
                      Contains("avg_pool2d") && Contains("padding"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_forward(randn64({1, 1, 5, 1}, gen), 2),
                      Contains("avg_pool2d") && Contains("too small"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_forward(randn64({5, 5}, gen), 2),
                      Contains("avg_pool2d") && Contains("4-D"));
  REQUIRE_THROWS_WITH(ops::global_avg_pool2d_forward(randn64({2, 5}, gen)),
                      Contains("global_avg_pool2d") && Contains("4-D"));

  const ops::MaxPool2dForward f = ops::max_pool2d_forward(x, 2);
  REQUIRE_THROWS_WITH(ops::max_pool2d_backward(randn64({1, 2, 3, 3}, gen), f.indices, x.shape()),
                      Contains("max_pool2d_backward") && Contains("[1,2,3,3]"));
  REQUIRE_THROWS_WITH(ops::max_pool2d_backward(randn64({1, 2, 2, 2}, gen),
                                               full({1, 2, 2, 2}, 25, DType::i64), x.shape()),
                      Contains("max_pool2d_backward") && Contains("outside"));
  REQUIRE_THROWS_WITH(ops::avg_pool2d_backward(randn64({1, 2, 3, 3}, gen), x.shape(), 2),
                      Contains("avg_pool2d_backward") && Contains("[1,2,2,2]"));
  REQUIRE_THROWS_WITH(ops::global_avg_pool2d_backward(randn64({1, 2, 2, 1}, gen), x.shape()),
                      Contains("global_avg_pool2d_backward"));
}
