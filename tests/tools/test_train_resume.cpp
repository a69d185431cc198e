// Resumption is exact: a run stopped (between or in the middle of epochs) and resumed ends
// with the same weights, bit for bit, and the same metrics as a run that never stopped.
#include "nn/safetensors.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// Weights, optimizer state and metrics of run `b` equal those of run `a`.
void require_same_run(const fs::path& a, const fs::path& b) {
  const nn::SafetensorsFile wa = nn::read_safetensors((a / "last.safetensors").string());
  const nn::SafetensorsFile wb = nn::read_safetensors((b / "last.safetensors").string());
  require_identical(wa.tensors, wb.tensors);
  REQUIRE(wa.metadata == wb.metadata);
  require_identical(nn::read_safetensors((a / "last.optim.safetensors").string()).tensors,
                    nn::read_safetensors((b / "last.optim.safetensors").string()).tensors);
  const std::vector<nlohmann::json> ma = read_metrics(a), mb = read_metrics(b);
  REQUIRE(ma.size() == mb.size());
  for (std::size_t i = 0; i < ma.size(); ++i)
    REQUIRE(without_timing(ma[i]) == without_timing(mb[i]));
  nlohmann::json pa = read_json_file(a / "last.json"), pb = read_json_file(b / "last.json");
  REQUIRE(pa["best_test_acc"] == pb["best_test_acc"]);
  REQUIRE(pa["epoch"] == pb["epoch"]);
  REQUIRE(pa["step"] == pb["step"]);
}

}  // namespace

TEST_CASE(
    "train: a run stopped after an epoch's last step (before its evaluation) resumes "
    "exactly, with SGD and AdamW",
    "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  const std::string optimizer = GENERATE("sgd", "adamw");
  INFO("optimizer " << optimizer);

  tools::TrainConfig straight = small_config(tmp / "data", tmp / "straight");
  straight.optimizer = optimizer;
  if (optimizer == "adamw") straight.lr = 2e-3;
  straight.schedule = "cosine";  // the lr differs per step, so a wrong step count shows
  REQUIRE(tools::train(straight, false).outcome == tools::TrainOutcome::finished);

  tools::TrainConfig first = straight;
  first.out = (tmp / "resumed").string();
  first.stop_after_steps = 4;  // the whole first epoch (4 steps), before its evaluation
  REQUIRE(tools::train(first, false).outcome == tools::TrainOutcome::interrupted);
  const nlohmann::json progress = read_json_file(tmp / "resumed" / "last.json");
  REQUIRE(progress["epoch"] == 0);
  REQUIRE(progress["step"] == 4);

  tools::TrainConfig second = straight;
  second.out = first.out;
  const tools::TrainSummary s = tools::train(second, true);
  REQUIRE(s.outcome == tools::TrainOutcome::finished);
  REQUIRE(s.epochs_done == 2);
  require_same_run(tmp / "straight", tmp / "resumed");
}

TEST_CASE("train: extending a finished run with more epochs equals training them at once",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig straight = small_config(tmp / "data", tmp / "straight");
  REQUIRE(tools::train(straight, false).outcome == tools::TrainOutcome::finished);

  tools::TrainConfig one = straight;
  one.out = (tmp / "extended").string();
  one.epochs = 1;
  const tools::TrainSummary first = tools::train(one, false);
  REQUIRE(first.outcome == tools::TrainOutcome::finished);
  REQUIRE(first.epochs_done == 1);
  REQUIRE(read_metrics(tmp / "extended").size() == 1);

  tools::TrainConfig two = one;
  two.epochs = 2;  // what `hsnet train --resume OUT --epochs 2` does
  const tools::TrainSummary second = tools::train(two, true);
  REQUIRE(second.outcome == tools::TrainOutcome::finished);
  REQUIRE(second.epochs_done == 2);
  require_same_run(tmp / "straight", tmp / "extended");
  REQUIRE(read_json_file(tmp / "extended" / "config.json")["epochs"] == 2);
}

TEST_CASE("train: a run stopped mid-epoch resumes to the straight run's weights exactly",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig straight = small_config(tmp / "data", tmp / "straight");
  straight.crop_padding = 2;  // augmentation draws must be reproduced too
  straight.flip = true;
  REQUIRE(tools::train(straight, false).outcome == tools::TrainOutcome::finished);

  // 4 steps per epoch: stop inside epoch 1, then again inside epoch 2.
  tools::TrainConfig c = straight;
  c.out = (tmp / "stopped").string();
  c.stop_after_steps = 3;
  const tools::TrainSummary s1 = tools::train(c, false);
  REQUIRE(s1.outcome == tools::TrainOutcome::interrupted);
  REQUIRE_THAT(s1.message, Catch::Contains("epoch 1 step 3"));
  nlohmann::json progress = read_json_file(tmp / "stopped" / "last.json");
  REQUIRE(progress["epoch"] == 0);
  REQUIRE(progress["step"] == 3);
  REQUIRE(progress["seen"] == 48);
  REQUIRE(nn::read_safetensors((tmp / "stopped" / "last.safetensors").string())
              .metadata.at("progress") == "0:3");
  REQUIRE_FALSE(fs::exists(tmp / "stopped" / "metrics.jsonl"));

  const tools::TrainSummary s2 = tools::train(c, true);  // 3 more steps: into epoch 2
  REQUIRE(s2.outcome == tools::TrainOutcome::interrupted);
  REQUIRE_THAT(s2.message, Catch::Contains("epoch 2 step 2"));
  progress = read_json_file(tmp / "stopped" / "last.json");
  REQUIRE(progress["epoch"] == 1);
  REQUIRE(progress["step"] == 2);
  REQUIRE(read_metrics(tmp / "stopped").size() == 1);

  c.stop_after_steps = 0;
  const tools::TrainSummary s3 = tools::train(c, true);
  REQUIRE(s3.outcome == tools::TrainOutcome::finished);
  require_same_run(tmp / "straight", tmp / "stopped");
}

TEST_CASE("train: a resumed run continues from the saved weights, not from a fresh start",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig straight = small_config(tmp / "data", tmp / "straight");
  REQUIRE(tools::train(straight, false).outcome == tools::TrainOutcome::finished);

  tools::TrainConfig c = straight;
  c.out = (tmp / "altered").string();
  c.stop_after_steps = 3;
  REQUIRE(tools::train(c, false).outcome == tools::TrainOutcome::interrupted);
  // Halve the classifier's weights in the checkpoint: a resume that used it must end
  // elsewhere than the straight run; one that retrained from scratch would end on it.
  const std::string path = (tmp / "altered" / "last.safetensors").string();
  nn::SafetensorsFile file = nn::read_safetensors(path);
  Tensor fc = file.tensors.at("fc.weight").clone();
  float* w = fc.data<float>();
  for (std::int64_t i = 0; i < fc.numel(); ++i) w[i] *= 0.5f;
  file.tensors["fc.weight"] = fc;
  nn::write_safetensors(path, file.tensors, file.metadata);

  c.stop_after_steps = 0;
  REQUIRE(tools::train(c, true).outcome == tools::TrainOutcome::finished);
  const nn::StateDict resumed =
      nn::read_safetensors((tmp / "altered" / "last.safetensors").string()).tensors;
  const nn::StateDict reference =
      nn::read_safetensors((tmp / "straight" / "last.safetensors").string()).tensors;
  const Tensor a = resumed.at("fc.weight"), b = reference.at("fc.weight");
  double difference = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    difference += std::abs(a.data<float>()[i] - b.data<float>()[i]);
  CHECK(difference > 1e-3);
}
