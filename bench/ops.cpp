// Operator benchmark on the layer shapes of hs_resnet29_cifar (CIFAR 32x32, HS blocks with
// s = 4 splits) at a given batch.
// Convolutions: for each layer forward, backward-input and backward-weight GFLOP/s and,
// measured in the same run, the GFLOP/s of plain cblas_sgemm calls of the GEMM sizes the
// convolution uses (ops::conv2d_cpu_plan), so the ratio shows what the lowering (im2col,
// col2im, copies) costs on top of BLAS.
// Batch norm: training forward and backward, plain and fused with ReLU, in GB/s of the
// tensors each must read and write once, next to a memcpy of the same tensor (read + write).
// Medians of R rounds, each round timing a row's tasks in turn.
//
//   bench_ops [--threads N] [--batch B] [--repeats R] [--only conv|bn]
//             [--conv-algorithm auto|gemm|direct]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/tensor.h"
#include "core/threads.h"
#include "kernels/im2col_index.h"
#include "ops/backends.h"
#include "ops/batch_norm.h"
#include "ops/conv2d.h"

namespace {

using std::int64_t;

struct ConvLayer {
  std::string name;
  int64_t in_c, out_c, size, kernel, stride;
};

// Distinct conv shapes of hs_resnet29_cifar: a 3x3 stem, then three stages (planes
// 16/32/64, 32/16/8 pixels) of HS bottlenecks with s = 4 splits of width w = 8 * 2^stage.
// Split i > 1 runs a 3x3 conv on c_i = w + floor(c_{i-1} / 2) channels (c_1 carries 0).
// The first block of stages 2 and 3 downsamples with stride-2 3x3 convs and a stride-2
// shortcut.
std::vector<ConvLayer> resnet29_layers() {
  std::vector<ConvLayer> layers = {{"stem 3x3", 3, 16, 32, 3, 1}};
  const int64_t planes[] = {16, 32, 64}, sizes[] = {32, 16, 8};
  int64_t in_c = 16;
  for (int stage = 0; stage < 3; ++stage) {
    const int64_t width = 8 << stage, mid = 4 * width, out = 4 * planes[stage];
    const int64_t size = sizes[stage];
    const int64_t in_size = stage == 0 ? size : 2 * size;  // first block sees the input size
    std::string s = "s";  // built in steps: g++ 12 warns falsely (-Wrestrict) on "s" + ...
    s += std::to_string(stage + 1);
    s += ' ';
    layers.push_back({s + "1x1 reduce first", in_c, mid, in_size, 1, 1});
    if (stage > 0) layers.push_back({s + "3x3 stride-2", width, width, in_size, 3, 2});
    int64_t carry = 0;
    for (int split = 2; split <= 4; ++split) {
      const int64_t c = width + carry / 2;
      layers.push_back({s + "3x3 split " + std::to_string(split), c, c, size, 3, 1});
      carry = c;
    }
    layers.push_back({s + "1x1 expand", mid, out, size, 1, 1});
    layers.push_back({s + "1x1 shortcut", in_c, out, in_size, 1, stage == 0 ? 1 : 2});
    layers.push_back({s + "1x1 reduce", out, mid, size, 1, 1});
    in_c = out;
  }
  return layers;
}

// Runs every task once (warm-up: first touch, scratch growth), then `repeats` rounds of all
// tasks in turn, so that a noisy neighbour slows them alike. Median seconds per task.
std::vector<double> interleaved_medians(const std::vector<std::function<void()>>& tasks,
                                        int repeats) {
  std::vector<std::vector<double>> times(tasks.size());
  for (const auto& task : tasks) task();
  for (int r = 0; r < repeats; ++r)
    for (std::size_t i = 0; i < tasks.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      tasks[i]();
      times[i].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
  std::vector<double> medians;
  for (std::vector<double>& t : times) {
    std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
    medians.push_back(t[t.size() / 2]);
  }
  return medians;
}

// Plain sgemm of the forward GEMM sizes in `plan` (one group), run the way the convolution
// runs them: one GEMM per chunk of images, chunks spread over the OpenMP threads with
// single-threaded BLAS, or one after the other with multithreaded BLAS. Every chunk has its
// own B and C, so the reference streams through memory as the convolution does. One call
// covers the whole batch.
class ReferenceSgemm {
 public:
  ReferenceSgemm(const hs::ops::Conv2dCpuPlan& plan, int64_t batch)
      : plan_(plan),
        chunks_((batch + plan.images_per_gemm - 1) / plan.images_per_gemm),
        a_(plan.gemm_m * plan.gemm_k, 0.5f),
        b_(chunks_ * plan.gemm_k * plan.gemm_n, 0.25f),
        c_(chunks_ * plan.gemm_m * plan.gemm_n, 0.0f) {}

  void operator()() {
    if (!plan_.chunks_in_parallel) {
      for (int64_t i = 0; i < chunks_; ++i) gemm(i);
      return;
    }
    hs::SingleThreadedBlas single_threaded_blas;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < chunks_; ++i) gemm(i);
  }

 private:
  void gemm(int64_t chunk) {
    const int64_t m = plan_.gemm_m, n = plan_.gemm_n, k = plan_.gemm_k;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a_.data(), k,
                b_.data() + chunk * k * n, n, 0.0f, c_.data() + chunk * m * n, n);
  }

  hs::ops::Conv2dCpuPlan plan_;
  int64_t chunks_;
  std::vector<float> a_, b_, c_;
};

const char* parse_text(int argc, char** argv, const char* flag, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], flag) == 0) return argv[i + 1];
  return fallback;
}

int parse_int(int argc, char** argv, const char* flag, int fallback) {
  const char* text = parse_text(argc, argv, flag, nullptr);
  return text ? std::atoi(text) : fallback;
}

// The distinct batch-norm shapes of hs_resnet29_cifar: channels and size.
struct BnLayer {
  int64_t channels, size;
};

void bench_batch_norm(int64_t batch, int repeats) {
  const BnLayer layers[] = {{16, 32}, {32, 32}, {64, 32}, {64, 16}, {128, 16}, {128, 8}, {256, 8}};
  std::printf("\nbatch_norm f32 (training), GB/s of the tensors read and written\n");
  std::printf("%-16s %7s %7s %7s %7s %7s\n", "shape", "fwd", "fwd+relu", "bwd", "bwd+relu",
              "memcpy");
  hs::Generator gen(2);
  for (const BnLayer& l : layers) {
    const hs::Shape shape{batch, l.channels, l.size, l.size};
    const hs::Tensor x = hs::randn(shape, gen, hs::DType::f32, 0.5, 2.0);
    const hs::Tensor dy = hs::randn(shape, gen);
    const hs::Tensor gamma = hs::randn({l.channels}, gen), beta = hs::randn({l.channels}, gen);
    hs::Tensor rm = hs::zeros({l.channels}), rv = hs::ones({l.channels});
    const hs::ops::BatchNormForward plain =
        hs::ops::batch_norm_forward(x, gamma, beta, rm, rv, true);
    const hs::ops::BatchNormForward fused =
        hs::ops::batch_norm_relu_forward(x, gamma, beta, rm, rv, true);
    hs::Tensor copy = hs::empty(shape);
    const std::vector<double> t = interleaved_medians(
        {[&] { hs::ops::batch_norm_forward(x, gamma, beta, rm, rv, true); },
         [&] { hs::ops::batch_norm_relu_forward(x, gamma, beta, rm, rv, true); },
         [&] {
           hs::ops::batch_norm_backward(dy, x, gamma, plain.save_mean, plain.save_invstd, true);
         },
         [&] {
           hs::ops::batch_norm_relu_backward(dy, fused.y, x, gamma, fused.save_mean,
                                             fused.save_invstd, true);
         },
         [&] { copy.copy_(x); }},
        repeats);
    const double gb = static_cast<double>(x.numel()) * sizeof(float) * 1e-9;
    char name[32];
    std::snprintf(name, sizeof name, "%lldx%lldx%lld", static_cast<long long>(l.channels),
                  static_cast<long long>(l.size), static_cast<long long>(l.size));
    // fwd: read x, write y; bwd: read dy, x (and y), write dx; memcpy: read, write.
    std::printf("%-16s %7.1f %7.1f %7.1f %7.1f %7.1f\n", name, 2 * gb / t[0], 2 * gb / t[1],
                3 * gb / t[2], 4 * gb / t[3], 2 * gb / t[4]);
  }
}

void bench_conv(int64_t batch, int repeats) {
  std::printf("conv2d f32, batch %lld, %d threads, median of %d\n", static_cast<long long>(batch),
              hs::num_threads(), repeats);
  std::printf("%-22s %-24s %-14s %7s %7s %7s %7s %6s %6s %6s\n", "layer", "shape (in->out)",
              "gemm MxNxK", "fwd", "bwd_in", "bwd_w", "sgemm", "fwd/g", "bin/g", "bw/g");
  std::printf("%-22s %-24s %-14s %7s %7s %7s %7s\n", "", "", "", "GF/s", "GF/s", "GF/s", "GF/s");

  hs::Generator gen(1);
  for (const ConvLayer& l : resnet29_layers()) {
    const int64_t pad = l.kernel / 2;
    const auto params = hs::ops::Conv2dParams::symmetric(l.stride, pad);
    const int64_t out_size = hs::ops::conv_output_size(l.size, l.kernel, l.stride, pad, 1);
    const hs::Shape x_shape{batch, l.in_c, l.size, l.size};
    const hs::Shape w_shape{l.out_c, l.in_c, l.kernel, l.kernel};
    const hs::Tensor x = hs::randn(x_shape, gen);
    const hs::Tensor w = hs::randn(w_shape, gen);
    const hs::Tensor dy = hs::randn({batch, l.out_c, out_size, out_size}, gen);
    const hs::ops::Conv2dCpuPlan plan = hs::ops::conv2d_cpu_plan(x_shape, w_shape, params);

    const double flops = 2.0 * batch * l.out_c * out_size * out_size * l.in_c * l.kernel * l.kernel;
    ReferenceSgemm reference(plan, batch);
    const std::vector<double> t = interleaved_medians(
        {[&] { hs::ops::conv2d_forward(x, w, hs::Tensor(), params); },
         [&] { hs::ops::conv2d_backward_input(dy, w, x_shape, params); },
         [&] { hs::ops::conv2d_backward_weight(dy, x, w_shape, params); }, std::ref(reference)},
        repeats);
    const double fwd = t[0], bwd_in = t[1], bwd_w = t[2], sgemm = t[3];

    char shape[64], gemm[64];
    std::snprintf(shape, sizeof shape, "%lldx%lld %lld->%lld s%lld", static_cast<long long>(l.size),
                  static_cast<long long>(l.size), static_cast<long long>(l.in_c),
                  static_cast<long long>(l.out_c), static_cast<long long>(l.stride));
    std::snprintf(gemm, sizeof gemm, "%lldx%lldx%lld%s", static_cast<long long>(plan.gemm_m),
                  static_cast<long long>(plan.gemm_n), static_cast<long long>(plan.gemm_k),
                  plan.direct_f32           ? " D"
                  : plan.chunks_in_parallel ? ""
                                            : " S");
    const double gf = flops * 1e-9;
    std::printf("%-22s %-24s %-14s %7.1f %7.1f %7.1f %7.1f %6.2f %6.2f %6.2f\n", l.name.c_str(),
                shape, gemm, gf / fwd, gf / bwd_in, gf / bwd_w, gf / sgemm, sgemm / fwd,
                sgemm / bwd_in, sgemm / bwd_w);
  }
  std::printf(
      "gemm: M x N x K of each GEMM (N = images per GEMM * OH*OW); S: one chunk, BLAS "
      "threads; D: the forward runs the direct kernel\n");
}

}  // namespace

int main(int argc, char** argv) {
  hs::register_backends();
  hs::choose_openmp_wait(argv);
  const int threads = parse_int(argc, argv, "--threads", 0);
  const int64_t batch = parse_int(argc, argv, "--batch", 128);
  const int repeats = std::max(1, parse_int(argc, argv, "--repeats", 5));
  const std::string only = parse_text(argc, argv, "--only", "");
  const std::string algorithm = parse_text(argc, argv, "--conv-algorithm", "auto");
  hs::set_num_threads(threads);
  if (algorithm == "gemm") hs::ops::set_conv2d_cpu_algorithm(hs::ops::Conv2dCpuAlgorithm::gemm);
  if (algorithm == "direct") hs::ops::set_conv2d_cpu_algorithm(hs::ops::Conv2dCpuAlgorithm::direct);
  if (only != "bn") bench_conv(batch, repeats);
  if (only != "conv") bench_batch_norm(batch, repeats);
  return 0;
}
