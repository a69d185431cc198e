// User errors in a training config or a resume: each is an hs::Error naming the key, path
// or file at fault, raised before anything on disk changes.
#include <map>

#include "nn/safetensors.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;
using tools::TrainConfig;

namespace {

// validate() on a default config changed by `edit` must throw an error naming `key`.
template <class Edit>
void require_rejected(const std::string& key, Edit edit) {
  INFO("key " << key);
  TrainConfig c;
  edit(c);
  REQUIRE_THROWS_WITH(c.validate(), Catch::Contains("'" + key + "'"));
}

std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    files[entry.path().filename().string()] = read_text(entry.path());
  return files;
}

}  // namespace

TEST_CASE("TrainConfig: from_json reads every key and to_json writes them back",
          "[tools][config]") {
  TrainConfig c;
  c.model = "resnet20_cifar";
  c.model_options = {{"classes", 10}};
  c.epochs = 7;
  c.schedule = "multistep";
  c.milestones = {3, 5};
  c.gamma = 0.2;
  c.optimizer = "adamw";
  c.label_smoothing = 0.1;
  c.flip = false;
  c.seed = 42;
  c.limit_train = 100;
  REQUIRE_NOTHROW(c.validate());
  const nlohmann::json j = c.to_json();
  REQUIRE(TrainConfig::from_json(j).to_json() == j);
  REQUIRE(TrainConfig::from_json(nlohmann::json::object()).to_json() == TrainConfig().to_json());
  // stop_after_steps is read but never written: a resumed run must not stop again.
  const TrainConfig stopping = TrainConfig::from_json({{"stop_after_steps", 5}});
  REQUIRE(stopping.stop_after_steps == 5);
  REQUIRE_FALSE(stopping.to_json().contains("stop_after_steps"));
}

TEST_CASE("TrainConfig: unknown keys and values of the wrong type name the key",
          "[tools][config]") {
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"epochs", 3}, {"learning_rate", 0.1}}),
                      Catch::Contains("unknown key 'learning_rate'") && Catch::Contains("lr"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"epochs", "ten"}}),
                      Catch::Contains("'epochs'") && Catch::Contains("wrong type"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"lr", "0.1"}}), Catch::Contains("'lr'"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"flip", 1}}), Catch::Contains("'flip'"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"milestones", 5}}), Catch::Contains("'milestones'"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json({{"model_options", "s=4"}}),
                      Catch::Contains("'model_options'"));
  REQUIRE_THROWS_WITH(TrainConfig::from_json(nlohmann::json::array({1, 2})),
                      Catch::Contains("JSON object"));
}

TEST_CASE("TrainConfig: out-of-range values name the key", "[tools][config]") {
  require_rejected("epochs", [](TrainConfig& c) { c.epochs = 0; });
  require_rejected("batch_size", [](TrainConfig& c) { c.batch_size = 0; });
  require_rejected("optimizer", [](TrainConfig& c) { c.optimizer = "rmsprop"; });
  require_rejected("lr", [](TrainConfig& c) { c.lr = 0; });
  require_rejected("schedule", [](TrainConfig& c) { c.schedule = "linear"; });
  require_rejected("milestones", [](TrainConfig& c) { c.milestones = {5}; });  // cosine
  require_rejected("milestones", [](TrainConfig& c) {
    c.schedule = "multistep";
    c.milestones = {11};  // beyond the 10 epochs
  });
  require_rejected("gamma", [](TrainConfig& c) {
    c.schedule = "multistep";
    c.gamma = 0;
  });
  require_rejected("warmup_epochs", [](TrainConfig& c) {
    c.schedule = "constant";
    c.warmup_epochs = 1;
  });
  require_rejected("warmup_epochs", [](TrainConfig& c) { c.warmup_epochs = 10; });
  require_rejected("label_smoothing", [](TrainConfig& c) { c.label_smoothing = 1.0; });
  require_rejected("label_smoothing", [](TrainConfig& c) { c.label_smoothing = -0.1; });
  require_rejected("momentum", [](TrainConfig& c) { c.momentum = -1; });
  require_rejected("weight_decay", [](TrainConfig& c) { c.weight_decay = -1; });
  require_rejected("crop_padding", [](TrainConfig& c) { c.crop_padding = -2; });
  require_rejected("threads", [](TrainConfig& c) { c.threads = -1; });
  require_rejected("ranks", [](TrainConfig& c) { c.ranks = 0; });
  require_rejected("bucket_mb", [](TrainConfig& c) { c.bucket_mb = 0; });
  require_rejected("stop_after_steps", [](TrainConfig& c) { c.stop_after_steps = -1; });
  require_rejected("out", [](TrainConfig& c) { c.out = ""; });
}

TEST_CASE("train: a bad config, model or dataset is an error and creates nothing",
          "[tools][config]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 16, 8);
  const fs::path out = tmp / "run";

  TrainConfig c = small_config(tmp / "data", out);
  c.schedule = "linear";
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("'schedule'"));

  c = small_config(tmp / "nowhere", out);
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains((tmp / "nowhere").string()));

  c = small_config(tmp / "data", out);
  c.dataset = "imagenet";
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("imagenet"));

  c = small_config(tmp / "data", out);
  c.model = "resnet7";
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("resnet7"));

  c = small_config(tmp / "data", out);
  c.model_options = {{"w0", 1}, {"depth", 3}};
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("depth"));

  c = small_config(tmp / "data", out);
  c.model_options = {{"classes", 4}};  // the dataset has 10
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("classes"));

  c = small_config(tmp / "data", out);
  c.device = "tpu";
  REQUIRE_THROWS_WITH(tools::train(c, false), Catch::Contains("tpu"));

  REQUIRE_FALSE(fs::exists(out));
}

TEST_CASE("train: resuming from a directory without a run is an error", "[tools][config]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 16, 8);
  fs::create_directories(tmp / "empty");
  REQUIRE_THROWS_WITH(tools::train(small_config(tmp / "data", tmp / "empty"), true),
                      Catch::Contains("last.json") && Catch::Contains("nothing to resume"));
  REQUIRE(fs::is_empty(tmp / "empty"));
  REQUIRE_THROWS_WITH(tools::train(small_config(tmp / "data", tmp / "missing"), true),
                      Catch::Contains((tmp / "missing").string()));
  REQUIRE_FALSE(fs::exists(tmp / "missing"));
}

TEST_CASE("train: resuming from checkpoint files of different points is an error",
          "[tools][config]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 8);
  TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.epochs = 1;
  REQUIRE(tools::train(c, false).outcome == tools::TrainOutcome::finished);
  c.epochs = 2;

  SECTION("last.json from another step") {
    nlohmann::json progress = read_json_file(tmp / "run" / "last.json");
    progress["step"] = 1;
    write_bytes(tmp / "run" / "last.json", [&] {
      const std::string text = progress.dump(2);
      return std::vector<std::uint8_t>(text.begin(), text.end());
    }());
    const auto before = snapshot(tmp / "run");
    REQUIRE_THROWS_WITH(tools::train(c, true),
                        Catch::Contains("different points") && Catch::Contains("1:1"));
    REQUIRE(snapshot(tmp / "run") == before);
  }
  SECTION("optimizer state from another step") {
    nn::SafetensorsFile optim =
        nn::read_safetensors((tmp / "run" / "last.optim.safetensors").string());
    optim.metadata["progress"] = "0:1";
    nn::write_safetensors((tmp / "run" / "last.optim.safetensors").string(), optim.tensors,
                          optim.metadata);
    const auto before = snapshot(tmp / "run");
    REQUIRE_THROWS_WITH(tools::train(c, true), Catch::Contains("different points"));
    REQUIRE(snapshot(tmp / "run") == before);
  }
  SECTION("last.json that is not JSON") {
    write_bytes(tmp / "run" / "last.json", {'{', 'x'});
    REQUIRE_THROWS_WITH(tools::train(c, true), Catch::Contains("last.json"));
  }
  SECTION("weights of another model") {
    TrainConfig other = c;
    other.model_options = {{"w0", 2}, {"s", 2}};
    REQUIRE_THROWS_AS(tools::train(other, true), Error);
  }
}
