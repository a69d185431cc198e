// A loss that turns NaN or infinite stops the run with TrainOutcome::diverged, names where
// it happened, and leaves the last good checkpoint exactly as it was.
#include <map>

#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

TEST_CASE("train: an exploding lr ends the run as diverged and keeps the last good checkpoint",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.epochs = 1;
  REQUIRE(tools::train(c, false).outcome == tools::TrainOutcome::finished);
  const std::map<std::string, std::string> before = run_files(tmp / "run");
  REQUIRE(before.count("last.safetensors") == 1);
  REQUIRE(before.count("best.json") == 1);
  REQUIRE(before.count("metrics.jsonl") == 1);

  tools::TrainConfig exploding = c;
  exploding.epochs = 2;
  exploding.lr = 1e30;
  const tools::TrainSummary s = tools::train(exploding, true);
  REQUIRE(s.outcome == tools::TrainOutcome::diverged);
  // The first step of epoch 2 starts from the good weights, so its loss is finite.
  REQUIRE_THAT(s.message, Catch::Matches("loss is (NaN|infinite) at epoch 2 step [2-4] .*"));
  REQUIRE_THAT(s.message, Catch::Contains((tmp / "run").string()));
  REQUIRE(run_files(tmp / "run") == before);

  // The kept checkpoint still resumes, to what an uninterrupted 2-epoch run gives.
  tools::TrainConfig sane = c;
  sane.epochs = 2;
  REQUIRE(tools::train(sane, true).outcome == tools::TrainOutcome::finished);
  tools::TrainConfig straight = sane;
  straight.out = (tmp / "straight").string();
  REQUIRE(tools::train(straight, false).outcome == tools::TrainOutcome::finished);
  require_identical(nn::read_safetensors((tmp / "run" / "last.safetensors").string()).tensors,
                    nn::read_safetensors((tmp / "straight" / "last.safetensors").string()).tensors);
}

TEST_CASE("train: a run that diverges before its first epoch ends writes no checkpoint",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.lr = 1e30;
  const tools::TrainSummary s = tools::train(c, false);
  REQUIRE(s.outcome == tools::TrainOutcome::diverged);
  REQUIRE_THAT(s.message, Catch::Matches("loss is (NaN|infinite) at epoch 1 step [2-4] .*"));
  for (const char* file : {"last.safetensors", "last.optim.safetensors", "last.json",
                           "best.safetensors", "metrics.jsonl"})
    REQUIRE_FALSE(fs::exists(tmp / "run" / file));
  REQUIRE_THROWS_WITH(tools::train(small_config(tmp / "data", tmp / "run"), true),
                      Catch::Contains("nothing to resume"));
}
