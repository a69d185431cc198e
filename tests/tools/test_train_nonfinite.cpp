// NaN and infinity never pass for results: a model whose weights or evaluation turn
// non-finite stops the run (exit 3) without touching the last good checkpoint or `best`, NaN
// logits count as wrong, and eval and predict refuse to print numbers for such a model.
#include <map>

#include "cli_test_util.h"
#include "ops/loss.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;
using Catch::Contains;

namespace {

// The case: a few hundred images, a learning rate far too high. The training loss
// stays finite through the epoch, but the model's evaluation is NaN.
tools::TrainConfig exploding_config(const fs::path& data, const fs::path& out) {
  tools::TrainConfig c = small_config(data, out);
  c.epochs = 1;
  c.batch_size = 64;
  c.lr = 300;
  return c;
}

}  // namespace

TEST_CASE("train: a NaN evaluation stops the run before anything is saved", "[tools][nonfinite]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 256, 64);
  const tools::TrainSummary s = tools::train(exploding_config(tmp / "data", tmp / "run"), false);
  REQUIRE(s.outcome == tools::TrainOutcome::diverged);
  REQUIRE_THAT(s.message, Contains("evaluation after epoch 1 is not finite") &&
                              Contains("the loss is NaN") && Contains("NaN or infinite logits"));
  for (const char* file : {"last.safetensors", "last.json", "best.safetensors", "best.json",
                           "metrics.jsonl", "curves.svg"})
    CHECK_FALSE(fs::exists(tmp / "run" / file));
}

TEST_CASE("train: best is never replaced by a non-finite model", "[tools][nonfinite]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 256, 64);
  tools::TrainConfig good = exploding_config(tmp / "data", tmp / "run");
  good.lr = 0.05;
  REQUIRE(tools::train(good, false).outcome == tools::TrainOutcome::finished);
  const auto before = run_files(tmp / "run");
  REQUIRE(before.count("best.safetensors") == 1);

  tools::TrainConfig exploding = exploding_config(tmp / "data", tmp / "run");
  exploding.epochs = 2;
  const tools::TrainSummary s = tools::train(exploding, true);
  REQUIRE(s.outcome == tools::TrainOutcome::diverged);
  REQUIRE_THAT(s.message, Contains("evaluation after epoch 2 is not finite"));
  REQUIRE(run_files(tmp / "run") == before);
}

TEST_CASE("train: a weight that turns non-finite after a step stops the run",
          "[tools][nonfinite]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  // In f32 this rate is infinite: the first step's loss is finite, its update is not.
  c.lr = 1e300;
  const tools::TrainSummary s = tools::train(c, false);
  REQUIRE(s.outcome == tools::TrainOutcome::diverged);
  REQUIRE_THAT(s.message, Catch::Matches("weight '.*' is NaN or infinite after the step at "
                                         "epoch 1 step 1 .*"));
  CHECK_FALSE(fs::exists(tmp / "run" / "last.safetensors"));
}

TEST_CASE("hsnet train exits 3 on a NaN evaluation", "[tools][nonfinite][cli]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 256, 64);
  const auto [status, out] =
      run_hsnet("train --model hs_resnet29_cifar --w0 1 --s 2 --dataset fashion-mnist --data " +
                (tmp / "data").string() +
                " --epochs 1 --batch-size 64 --lr 300 --threads 1 --out " + (tmp / "run").string());
  INFO(out);
  CHECK(status == 3);
  CHECK_THAT(out, Contains("is not finite"));
  CHECK_FALSE(fs::exists(tmp / "run" / "best.safetensors"));
}

TEST_CASE("eval and predict name a non-finite output instead of printing numbers",
          "[tools][nonfinite][cli]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 16);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.epochs = 1;
  REQUIRE(tools::train(c, false).outcome == tools::TrainOutcome::finished);
  const std::string good = (tmp / "run" / "last.safetensors").string();
  nn::SafetensorsFile file = nn::read_safetensors(good);
  Tensor fc = file.tensors.at("fc.bias").clone();
  fc.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
  file.tensors["fc.bias"] = fc;
  const std::string bad = (tmp / "nan.safetensors").string();
  nn::write_safetensors(bad, file.tensors, file.metadata);

  const std::string data = " --data " + (tmp / "data").string() + " --threads 1";
  {
    const auto [status, out] = run_hsnet("eval --checkpoint " + good + data);
    INFO(out);
    CHECK(status == 0);
  }
  {
    const auto [status, out] = run_hsnet("eval --checkpoint " + bad + data);
    INFO(out);
    CHECK(status == 2);
    CHECK_THAT(out, Contains(bad) && Contains("not finite") && Contains("16 of 16 images"));
    CHECK_THAT(out, !Contains("top-1"));
  }
  {
    const std::string csv = (tmp / "logits.csv").string();
    const auto [status, out] = run_hsnet("predict --checkpoint " + bad + data + " --logits " + csv);
    INFO(out);
    CHECK(status == 2);
    CHECK_THAT(out, Contains(bad) && Contains("NaN or infinite logits") &&
                        Contains("first: test image 0"));
    CHECK_FALSE(fs::exists(csv));
  }
}

TEST_CASE("a logits row holding NaN counts as wrong in accuracy and top-k", "[ops][nonfinite]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // Row 0: label 1 is the largest (right at k=1). Row 1: NaN elsewhere, label largest among
  // the rest. Row 2: NaN at the label. Row 3: label second (right at k=2).
  const Tensor logits = from_vector(std::vector<float>{0.1f, 0.9f, 0.0f,   //
                                                       nan, 0.9f, 0.0f,    //
                                                       0.1f, nan, 0.0f,    //
                                                       0.5f, 0.2f, 0.1f},  //
                                    {4, 3});
  const Tensor labels = from_vector(std::vector<std::int64_t>{1, 1, 1, 1}, {4});
  CHECK(ops::topk_correct(logits, labels, {1, 2, 3}) == std::vector<std::int64_t>{1, 2, 2});
}
