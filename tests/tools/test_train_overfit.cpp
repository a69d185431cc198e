// End-to-end training: a narrow HS-ResNet memorises 64 synthetic images within seconds,
// which needs the data reader, loader, model, loss, backward, optimizer, schedule and the
// trainer's bookkeeping all to be right.
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("train: a small HS-ResNet overfits 64 images to >= 95% training accuracy",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  // Batches of 32 rather than 16: with 10 classes, train-mode BatchNorm statistics of a
  // 16-image batch vary enough to cost a few points of the running training accuracy.
  c.batch_size = 32;
  c.schedule = "cosine";
  c.epochs = 20;
  const tools::TrainSummary s = tools::train(c, false);
  REQUIRE(s.outcome == tools::TrainOutcome::finished);
  REQUIRE(s.epochs_done == 20);

  const std::vector<nlohmann::json> metrics = read_metrics(tmp / "run");
  REQUIRE(metrics.size() == 20);
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    REQUIRE(metrics[i]["epoch"] == i + 1);
    REQUIRE(std::isfinite(metrics[i]["train_loss"].get<double>()));
  }
  INFO("first epoch: " << metrics.front().dump() << "\nlast epoch: " << metrics.back().dump());
  REQUIRE(metrics.front()["train_acc"].get<double>() < 0.5);
  REQUIRE(metrics.back()["train_acc"].get<double>() >= 0.95);
  REQUIRE(metrics.back()["train_loss"].get<double>() < 0.2);
  REQUIRE(metrics.back()["lr"].get<double>() < 1e-3);  // the cosine schedule ran its course
  REQUIRE(s.last_test_acc == metrics.back()["test_acc"].get<double>());
  for (const char* file :
       {"config.json", "metrics.jsonl", "curves.svg", "last.safetensors", "last.optim.safetensors",
        "last.json", "best.safetensors", "best.optim.safetensors", "best.json"})
    REQUIRE(fs::exists(tmp / "run" / file));
  for (const auto& entry : fs::directory_iterator(tmp / "run"))
    REQUIRE(entry.path().filename().string().find(".tmp") == std::string::npos);

  // Resuming the finished run trains nothing and reports what the run ended with.
  const tools::TrainSummary again = tools::train(c, true);
  REQUIRE(again.outcome == tools::TrainOutcome::finished);
  REQUIRE(again.epochs_done == 20);
  REQUIRE(again.last_test_acc == s.last_test_acc);
  REQUIRE(again.best_test_acc == s.best_test_acc);
  REQUIRE(read_metrics(tmp / "run").size() == 20);
}
