// hsnet train --distributed under `mpirun -np 2` (one thread per rank) against one process:
// with --sync-bn, 2 ranks x batch 8 end six steps with the weights of one process x batch 16
// to float rounding; without it only the per-rank batch-norm statistics differ, and visibly; a
// distributed run stopped and resumed ends as the uninterrupted one, bit for bit; a rank that
// fails stops every rank with a nonzero status and leaves the last checkpoint whole. Ctrl-C to
// mpirun: test_train_distributed_interrupt.cpp.
// Skipped (exit 77) where mpirun is absent or hsnet was built without MPI.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "cli_test_util.h"
#include "mpi_test_util.h"
#include "nn/safetensors.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// Two ranks; `env` (settings like HSNET_TEST_FAIL_AT=1:4) is passed on to them.
std::string mpirun(const std::string& env = "") {
  return env.empty() ? mpirun_prefix(2) : env + " " + mpirun_prefix(2, {"HSNET_TEST_FAIL_AT"});
}

// 48 training images: 3 steps per epoch of 16 images (one process) or 2 x 8 (two ranks).
tools::TrainConfig config(const fs::path& tmp, const std::string& out, std::int64_t batch) {
  tools::TrainConfig c = small_config(tmp / "data", tmp / out);
  c.batch_size = batch;
  c.limit_train = 48;
  c.limit_test = 32;
  return c;
}

nn::StateDict weights(const fs::path& out) {
  return nn::read_safetensors((out / "last.safetensors").string()).tensors;
}

// Largest |a - b| / (1 + |b|) over the floating tensors of two state dicts with the same keys:
// absolute for the weights (order 0.1 to 1), relative for running variances of order 10.
double max_difference(const nn::StateDict& a, const nn::StateDict& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (const auto& [key, ta] : a) {
    if (ta.dtype() != DType::f32) continue;
    const std::vector<double> x = ta.to_vector<double>(), y = b.at(key).to_vector<double>();
    REQUIRE(x.size() == y.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      worst = std::max(worst, std::abs(x[i] - y[i]) / (1 + std::abs(y[i])));
  }
  return worst;
}

}  // namespace

// Six steps over two epochs of 3 (the epoch boundary reshuffles). Training dynamics amplify
// any rounding difference step by step, and how much depends on the model and the lr: on
// Fashion-MNIST with batch 16, small_config's 1-channel HS model drifts from 3e-8 after one
// step to 8e-5 after two even between 1 and 2 threads of one process, and ResNet-8 at lr 0.01
// from 1.5e-8 (one step) to 2e-7 (three) to 4e-4 (six) between 2 synced ranks and one
// process. ResNet-8 at lr 0.001 stays at 1.5e-8 over six steps, where a real difference in
// the update would scale with the lr (4e-5, not 1.5e-8) and per-rank statistics give 8e-4: a
// model and lr at which six steps still tell exactness from a real difference.
tools::TrainConfig several_steps(const fs::path& tmp, const std::string& out, std::int64_t batch) {
  tools::TrainConfig c = config(tmp, out, batch);
  c.model = "cifar_resnet";
  c.model_options = {{"block", "basic"}, {"depth", 8}};
  c.lr = 0.001;
  c.epochs = 2;
  return c;
}

TEST_CASE("train --distributed: 2 ranks with --sync-bn equal one process of twice the batch",
          "[tools][train][distributed]") {
  skip_without_mpirun();
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  REQUIRE(tools::train(several_steps(tmp.path(), "one", 16), false).outcome ==
          tools::TrainOutcome::finished);
  const fs::path half = write_config_file(several_steps(tmp.path(), "sync", 8), tmp / "half.json");
  {
    const auto [status, output] =
        run_hsnet("train --config " + half.string() + " --distributed --sync-bn", mpirun());
    INFO(output);
    REQUIRE(status == 0);
  }
  {
    const auto [status, output] = run_hsnet(
        "train --config " + half.string() + " --distributed --out " + (tmp / "per_rank").string(),
        mpirun());
    INFO(output);
    REQUIRE(status == 0);
  }
  // f32 sums in another order: each rank sums its half of the batch (gradients, batch-norm
  // statistics) and the halves are added; synchronised batch norm is composed of autograd
  // functions where one process runs the fused kernel. Measured here after the six steps:
  // 1.4e-7 (scaled as max_difference says), i.e. f32 rounding; 1e-5 leaves a 70x margin and
  // is far below what per-rank statistics change (4.5e-2, running variances included).
  const nn::StateDict one = weights(tmp / "one");
  const double synced = max_difference(weights(tmp / "sync"), one);
  const double per_rank = max_difference(weights(tmp / "per_rank"), one);
  INFO("max |w - w_one|: sync-bn " << synced << ", per-rank statistics " << per_rank);
  CHECK(synced < 1e-5);
  CHECK(per_rank > 1e-3);
  // The epoch metrics are those of the whole batch: the same images, loss and accuracy.
  const auto ms = read_metrics(tmp / "sync"), mo = read_metrics(tmp / "one");
  REQUIRE(ms.size() == mo.size());
  for (std::size_t i = 0; i < ms.size(); ++i) {
    CHECK(ms[i]["train_acc"] == mo[i]["train_acc"]);
    CHECK(std::abs(ms[i]["train_loss"].get<double>() - mo[i]["train_loss"].get<double>()) < 1e-4);
    CHECK(ms[i]["test_acc"] == mo[i]["test_acc"]);
  }
}

TEST_CASE("train --distributed: a stopped and resumed run ends as the uninterrupted one",
          "[tools][train][distributed]") {
  skip_without_mpirun();
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  tools::TrainConfig straight = config(tmp.path(), "straight", 8);
  straight.schedule = "cosine";  // the lr differs per step, so a wrong step count shows
  {
    const auto [status, output] =
        run_hsnet("train --config " + write_config_file(straight, tmp / "straight.json").string() +
                      " --distributed",
                  mpirun());
    INFO(output);
    REQUIRE(status == 0);
  }
  tools::TrainConfig first = straight;
  first.out = (tmp / "resumed").string();
  first.stop_after_steps = 4;  // mid-way through the second epoch of 3 steps
  {
    const auto [status, output] =
        run_hsnet("train --config " + write_config_file(first, tmp / "first.json").string() +
                      " --distributed",
                  mpirun());
    INFO(output);
    REQUIRE(status == 130);
    const nlohmann::json progress = read_json_file(tmp / "resumed" / "last.json");
    REQUIRE(progress["epoch"] == 1);
    REQUIRE(progress["step"] == 1);
  }
  // Resuming needs the same number of ranks (the shards and steps per epoch depend on it).
  // As `train --resume` reads it: from the run's config.json, which records the 2 ranks.
  const tools::TrainConfig alone =
      tools::TrainConfig::from_json(read_json_file(tmp / "resumed" / "config.json"));
  REQUIRE_THROWS_WITH(tools::train(alone, true),
                      Catch::Contains("trained on 2 rank(s) and must be resumed on as many"));
  {
    const auto [status, output] =
        run_hsnet("train --resume " + first.out + " --distributed", mpirun());
    INFO(output);
    REQUIRE(status == 0);
  }
  require_identical(weights(tmp / "straight"), weights(tmp / "resumed"));
  require_identical(
      nn::read_safetensors((tmp / "straight" / "last.optim.safetensors").string()).tensors,
      nn::read_safetensors((tmp / "resumed" / "last.optim.safetensors").string()).tensors);
}

TEST_CASE("train --distributed: a failing rank stops every rank and keeps the last checkpoint",
          "[tools][train][distributed]") {
  skip_without_mpirun();
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  tools::TrainConfig c = config(tmp.path(), "failed", 8);
  c.epochs = 3;
  // Rank 1 throws at global step 4, in the second epoch, after the first one's checkpoint.
  const auto [status, output] = run_hsnet(
      "train --config " + write_config_file(c, tmp / "c.json").string() + " --distributed",
      mpirun("HSNET_TEST_FAIL_AT=1:4"));
  INFO(output);
  CHECK(status != 0);
  CHECK_THAT(output, Catch::Contains("rank 1 of 2") && Catch::Contains("fails at step 4"));
  const nlohmann::json progress = read_json_file(tmp / "failed" / "last.json");
  CHECK(progress["epoch"] == 1);
  CHECK(progress["step"] == 0);
  const nn::SafetensorsFile last =
      nn::read_safetensors((tmp / "failed" / "last.safetensors").string());
  CHECK(last.metadata.at("progress") == "1:0");
}

TEST_CASE("train: --sync-bn without --distributed is an error", "[tools][train][distributed]") {
  TempDir tmp;
  const auto [status, output] =
      run_hsnet("train --sync-bn --out " + (tmp / "x").string() + " --epochs 1");
  CHECK(status != 0);
  CHECK_THAT(output, Catch::Contains("--sync-bn needs --distributed"));
  CHECK_FALSE(fs::exists(tmp / "x"));
}
