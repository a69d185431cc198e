// hsnet bench: training-step or inference throughput of a model on synthetic input, the
// warm-up steps excluded. A training step is what a training loop does per batch: zero the
// gradients, forward, cross-entropy, backward and (unless --optimizer none) an SGD step with
// momentum 0.9 and weight decay 5e-4. Inference runs in eval mode on batch-norm statistics
// calibrated first by a few train-mode forward passes (the statistics a trained model has,
// not the initial mean 0 / variance 1); with --fold-bn, every batch norm is folded into the
// convolution before it, as `hsnet eval` and `hsnet predict` run by default.
// bench/torch_bench.py does the same in PyTorch (unfolded).
// Before it, a "flops:" line gives the arithmetic rate the step reached: the model's
// convolution and linear MACs per image (as `hsnet summary` counts them), times 2 FLOPs per
// MAC, times 3 in train mode (forward, backward-input, backward-weight), over the median step;
// on the CPU also as a fraction of what cblas_sgemm reaches on a 1024^3 product with the same
// threads, timed in the same process after the steps (the roofline a GEMM-bound step could
// approach). Batch norm, pooling and elementwise work are not counted.
// The last line is machine-readable:
// bench: model=NAME mode=MODE batch=B img_per_s=<float> ms_per_step=<float> peak_rss_mb=<float>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "core/backend.h"
#include "core/threads.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/sgd.h"
#include "nn/summary.h"
#include "ops/conv2d.h"
#include "ops/matmul.h"
#include "tools/commands.h"
#include "tools/model_args.h"

namespace hs::tools {

namespace {

struct BenchArgs {
  ModelArgs model;
  std::int64_t batch = 128, steps = 10, warmup = 2, size = 0, threads = 0, calibrate = 2;
  std::string mode = "train", device = "cpu", conv_algorithm = "auto", optimizer = "sgd";
  bool fold_bn = false;
};

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

// GFLOP/s of an n^3 f32 product through ops::matmul (cblas_sgemm on the CPU) on the current
// threads: the median of 7 timed products after one untimed.
double sgemm_gflop_per_s(std::int64_t n = 1024) {
  Generator gen(2);
  const Tensor a = randn({n, n}, gen), b = randn({n, n}, gen);
  std::vector<double> seconds;
  for (int i = 0; i < 8; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Tensor c = ops::matmul(a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i > 0) seconds.push_back(s);
  }
  std::sort(seconds.begin(), seconds.end());
  return 2.0 * n * n * n / seconds[seconds.size() / 2] / 1e9;
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  a->model.add_to(app);
  app.add_option("--batch", a->batch, "batch size")->capture_default_str();
  app.add_option("--steps", a->steps, "timed steps")->capture_default_str();
  app.add_option("--warmup", a->warmup, "untimed steps first")->capture_default_str();
  app.add_option("--mode", a->mode, "train | infer")->capture_default_str();
  app.add_option("--size", a->size, "input height and width (default 32, ImageNet models 224)");
  app.add_option("--threads", a->threads, "CPU threads (default: all cores)");
  app.add_option("--device", a->device, "cpu | cuda")->capture_default_str();
  app.add_option("--optimizer", a->optimizer, "train mode: sgd (the step includes it) | none")
      ->capture_default_str();
  app.add_option("--calibrate", a->calibrate,
                 "infer mode: train-mode forward passes that set the batch-norm statistics first")
      ->capture_default_str();
  app.add_flag("--fold-bn,!--no-fold-bn", a->fold_bn,
               "infer mode: fold batch norms into the convolutions (exact to rounding)");
  app.add_option("--conv-algorithm", a->conv_algorithm,
                 "f32 CPU convolutions: auto | gemm (im2col + BLAS only) | direct (wherever "
                 "the direct kernel applies)")
      ->capture_default_str();
  return [a]() {
    HS_CHECK(a->mode == "train" || a->mode == "infer",
             "bench: --mode must be train or infer, got '", a->mode, "'");
    HS_CHECK(a->batch >= 1 && a->steps >= 1 && a->warmup >= 0,
             "bench: --batch and --steps must be >= 1, --warmup >= 0");
    HS_CHECK(a->optimizer == "sgd" || a->optimizer == "none",
             "bench: --optimizer must be sgd or none, got '", a->optimizer, "'");
    HS_CHECK(a->calibrate >= 0, "bench: --calibrate must be >= 0, got ", a->calibrate);
    HS_CHECK(
        a->conv_algorithm == "auto" || a->conv_algorithm == "gemm" || a->conv_algorithm == "direct",
        "bench: --conv-algorithm must be auto, gemm or direct, got '", a->conv_algorithm, "'");
    ops::set_conv2d_cpu_algorithm(a->conv_algorithm == "gemm" ? ops::Conv2dCpuAlgorithm::gemm
                                  : a->conv_algorithm == "direct"
                                      ? ops::Conv2dCpuAlgorithm::direct
                                      : ops::Conv2dCpuAlgorithm::automatic);
    set_num_threads(static_cast<int>(a->threads));
    const Device device = parse_device(a->device);
    const nlohmann::json options = a->model.options();
    const std::int64_t channels = options.value("in_channels", std::int64_t{3});
    const std::int64_t native_size = models::model_input_size(a->model.model);
    const std::int64_t classes = options.value("classes", native_size == 32 ? 10 : 1000);
    const std::int64_t size = a->size > 0 ? a->size : native_size;

    nn::manual_seed(0);
    auto model = models::create_model(a->model.model, options);
    const std::int64_t macs = nn::summarize(*model, {1, channels, size, size}).total_macs;
    model->to(device);
    const bool train = a->mode == "train";
    Generator gen(1);
    const Tensor images = randn({a->batch, channels, size, size}, gen).to(device);
    Tensor labels = empty({a->batch}, DType::i64);
    for (std::int64_t i = 0; i < a->batch; ++i) labels.data<std::int64_t>()[i] = i % classes;
    labels = labels.to(device);
    if (!train) {
      // Train-mode batch norm needs two values per channel: a batch-1 run calibrates on two
      // images (SK's attention BN sees one value per image).
      const Tensor calibration =
          a->batch >= 2 ? images : randn({2, channels, size, size}, gen).to(device);
      NoGradGuard no_grad;
      model->train(true);
      for (std::int64_t i = 0; i < a->calibrate; ++i) (*model)(Variable(calibration));
    }
    model->train(train);
    if (!train && a->fold_bn) {
      model->fold_batch_norms();
      std::printf("inference with the batch norms folded into the convolutions\n");
    }
    std::unique_ptr<nn::SGD> sgd;
    if (train && a->optimizer == "sgd") {
      sgd = std::make_unique<nn::SGD>(
          model->named_parameters(),
          nn::SgdOptions{.lr = 0.05, .momentum = 0.9, .weight_decay = 5e-4});
    }

    auto step = [&]() {
      if (train) {
        model->zero_grad();
        Variable loss = cross_entropy((*model)(Variable(images)), labels);
        loss.backward();
        if (sgd) sgd->step();
      } else {
        NoGradGuard no_grad;
        (*model)(Variable(images));
      }
      backend_for(device).synchronize();
    };
    for (std::int64_t i = 0; i < a->warmup; ++i) step();
    std::vector<double> ms;
    for (std::int64_t i = 0; i < a->steps; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      step();
      ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    std::printf("steps: min %.1f ms, median %.1f ms, max %.1f ms (threads %d, OpenMP wait: %s)\n",
                ms.front(), median, ms.back(), num_threads(), openmp_wait_description());
    const double rss = peak_rss_mb();  // before the sgemm reference allocates its operands
    const double gflop_per_image = (train ? 3 : 1) * 2.0 * static_cast<double>(macs) / 1e9;
    const double gflop_per_s = gflop_per_image * a->batch * 1000.0 / median;
    std::printf("flops: macs_per_image=%lld gflop_per_image=%.6g gflop_per_s=%.6g",
                static_cast<long long>(macs), gflop_per_image, gflop_per_s);
    if (device.is_cpu()) {
      const double sgemm = sgemm_gflop_per_s();
      std::printf(" sgemm_gflop_per_s=%.6g of_sgemm=%.6g", sgemm, gflop_per_s / sgemm);
    }
    std::printf("\n");
    std::printf(
        "bench: model=%s mode=%s batch=%lld img_per_s=%.2f ms_per_step=%.2f peak_rss_mb=%.1f\n",
        a->model.model.c_str(), a->mode.c_str(), static_cast<long long>(a->batch),
        a->batch * 1000.0 / median, median, rss);
    return 0;
  };
}

}  // namespace hs::tools
