// What a finished run leaves on disk: weights that rebuild the model by themselves and
// score what metrics.jsonl says, optimizer state that loads into a fresh optimizer, best.*
// from the best epoch, and a config.json that reads back as the same TrainConfig.
#include <algorithm>

#include "data/datasets.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"
#include "tools/evaluate.h"
#include "tools/model_io.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// One finished 3-epoch run, shared by the test cases of this file.
struct FinishedRun {
  TempDir tmp;
  tools::TrainConfig config;
  tools::TrainSummary summary;
  FinishedRun() {
    write_texture_dataset(tmp / "data", 64, 32);
    config = small_config(tmp / "data", tmp / "run");
    config.epochs = 3;
    config.nesterov = true;
    config.no_decay_bn_bias = true;  // two parameter groups in the optimizer state
    summary = tools::train(config, false);
  }
  fs::path out() const { return tmp / "run"; }
};

const FinishedRun& finished_run() {
  static const FinishedRun run;
  return run;
}

}  // namespace

TEST_CASE("train: last.optim.safetensors loads into a fresh SGD over the saved model",
          "[tools][train]") {
  const FinishedRun& run = finished_run();
  REQUIRE(run.summary.outcome == tools::TrainOutcome::finished);
  const nn::SafetensorsFile optim =
      nn::read_safetensors((run.out() / "last.optim.safetensors").string());
  REQUIRE(optim.metadata.at("optimizer") == "sgd");
  REQUIRE(optim.metadata.at("progress") == "3:0");
  REQUIRE(optim.tensors.at("step").item<std::int64_t>() == 3 * 4);

  tools::LoadedModel lm = tools::load_model((run.out() / "last.safetensors").string());
  nn::SgdOptions o;
  o.lr = run.config.lr;
  o.momentum = run.config.momentum;
  o.nesterov = true;
  o.weight_decay = run.config.weight_decay;
  o.no_decay_bn_and_bias = true;
  nn::SGD sgd(lm.model->named_parameters(), o);
  sgd.load_state_dict(optim.tensors);
  REQUIRE(sgd.step_count() == 12);
  require_identical(sgd.state_dict(), optim.tensors);
  // Every parameter has a momentum buffer.
  REQUIRE(optim.tensors.size() == lm.model->named_parameters().size() + 1);
}

TEST_CASE("train: best.* hold the epoch with the highest test accuracy", "[tools][train]") {
  const FinishedRun& run = finished_run();
  const std::vector<nlohmann::json> metrics = read_metrics(run.out());
  REQUIRE(metrics.size() == 3);
  double best_acc = -1;
  std::int64_t best_epoch = 0;
  for (const auto& m : metrics)
    if (m["test_acc"].get<double>() > best_acc) {
      best_acc = m["test_acc"].get<double>();
      best_epoch = m["epoch"].get<std::int64_t>();
    }
  const nlohmann::json best = read_json_file(run.out() / "best.json");
  REQUIRE(best["best_test_acc"].get<double>() == best_acc);
  REQUIRE(best["epoch"] == best_epoch);
  REQUIRE(run.summary.best_test_acc == best_acc);
  REQUIRE(read_json_file(run.out() / "last.json")["best_test_acc"].get<double>() == best_acc);
  const std::string tag = std::to_string(best_epoch) + ":0";
  REQUIRE(nn::read_safetensors((run.out() / "best.safetensors").string()).metadata.at("progress") ==
          tag);
  REQUIRE(nn::read_safetensors((run.out() / "best.optim.safetensors").string())
              .metadata.at("progress") == tag);
}

TEST_CASE("train: config.json reads back as the run's TrainConfig", "[tools][train]") {
  const FinishedRun& run = finished_run();
  const nlohmann::json saved = read_json_file(run.out() / "config.json");
  REQUIRE(saved == run.config.to_json());
  const tools::TrainConfig back = tools::TrainConfig::from_json(saved);
  REQUIRE(back.to_json() == saved);
  REQUIRE(back.model_options == run.config.model_options);
  REQUIRE(back.no_decay_bn_bias);
  REQUIRE(back.nesterov);
  REQUIRE(back.crop_padding == 0);
  REQUIRE_FALSE(back.flip);
}

TEST_CASE("eval: the saved best weights score the test accuracy recorded in metrics.jsonl",
          "[tools][eval]") {
  const FinishedRun& run = finished_run();
  const nlohmann::json best = read_json_file(run.out() / "best.json");
  const std::vector<nlohmann::json> metrics = read_metrics(run.out());
  const nlohmann::json& line = metrics.at(best["epoch"].get<std::size_t>() - 1);

  tools::LoadedModel lm = tools::load_model((run.out() / "best.safetensors").string());
  REQUIRE(lm.meta.model == "hs_resnet29_cifar");
  REQUIRE(lm.meta.dataset == "fashion-mnist");
  REQUIRE(lm.meta.options["w0"] == 1);
  REQUIRE(lm.meta.options["classes"] == 10);
  REQUIRE(lm.meta.channels == 1);
  REQUIRE(lm.meta.class_names.size() == 10);
  const data::ImageDataset test = data::load_dataset("fashion-mnist", run.config.data, false);
  data::Augment normalise;
  normalise.mean = lm.meta.mean;
  normalise.std = lm.meta.std;
  const tools::EvalResult r =
      tools::evaluate(*lm.model, test, normalise, run.config.batch_size, Device::cpu());
  REQUIRE(r.count == 32);
  REQUIRE(r.top1 == line["test_acc"].get<double>());
  REQUIRE(r.top5 == line["test_top5"].get<double>());
  REQUIRE(r.loss == Approx(line["test_loss"].get<double>()).epsilon(1e-6));
  std::int64_t diagonal = 0;
  for (std::int64_t k = 0; k < 10; ++k) diagonal += r.confusion[k * 10 + k];
  REQUIRE(static_cast<double>(diagonal) / 32 == r.top1);
}

TEST_CASE("eval: load_model rejects a safetensors file that is not an hsnet checkpoint",
          "[tools][eval]") {
  const FinishedRun& run = finished_run();
  TempDir tmp;
  // Optimizer state: a valid safetensors file, but without a model description.
  const std::string optim = (run.out() / "last.optim.safetensors").string();
  REQUIRE_THROWS_WITH(tools::load_model(optim),
                      Catch::Contains(optim) && Catch::Contains("not an hsnet checkpoint"));

  // The right description with weights of another model.
  nn::SafetensorsFile weights = nn::read_safetensors((run.out() / "best.safetensors").string());
  nlohmann::json meta = nlohmann::json::parse(weights.metadata.at("hsnet"));
  meta["options"]["w0"] = 2;
  weights.metadata["hsnet"] = meta.dump();
  const std::string mismatched = (tmp / "mismatched.safetensors").string();
  nn::write_safetensors(mismatched, weights.tensors, weights.metadata);
  REQUIRE_THROWS_WITH(tools::load_model(mismatched), Catch::Contains(mismatched));

  // A description that is not JSON, and one with a field missing.
  weights.metadata["hsnet"] = "{not json";
  const std::string garbled = (tmp / "garbled.safetensors").string();
  nn::write_safetensors(garbled, weights.tensors, weights.metadata);
  REQUIRE_THROWS_WITH(tools::load_model(garbled), Catch::Contains(garbled));
  meta.erase("mean");
  weights.metadata["hsnet"] = meta.dump();
  nn::write_safetensors(garbled, weights.tensors, weights.metadata);
  REQUIRE_THROWS_WITH(tools::load_model(garbled),
                      Catch::Contains(garbled) && Catch::Contains("mean"));

  REQUIRE_THROWS_AS(tools::load_model((tmp / "missing.safetensors").string()), Error);
}
