// SweepSpec: a grid, a list of grids (a baseline beside an HS grid), random axes and seeds
// expand into the right trials with the right configs and names; and every spec error —
// unknown keys, empty axes, bad random spaces, bad seeds, axes that make an invalid config
// or model — is an hs::Error naming the key or value before anything runs.
#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/generator.h"
#include "nn/init.h"
#include "tools/sweep_spec.h"
#include "train_test_util.h"

using namespace hs;
using tools::SweepSpec;
using ojson = nlohmann::ordered_json;

namespace {

ojson base_config() {
  return {{"model", "hs_resnet29_cifar"},
          {"dataset", "fashion-mnist"},
          {"epochs", 1},
          {"model_options", {{"w0", 1}}}};
}

ojson spec_with(ojson extra) {
  ojson spec = {{"base", base_config()}, {"out", "runs/x"}};
  for (auto& [k, v] : extra.items()) spec[k] = v;
  return spec;
}

void require_error(const ojson& spec, const std::string& text) {
  INFO("spec " << spec.dump());
  REQUIRE_THROWS_AS(SweepSpec::parse(spec), Error);
  REQUIRE_THROWS_WITH(SweepSpec::parse(spec), Catch::Contains(text));
}

}  // namespace

TEST_CASE("sweep spec: a grid times seeds, last axis fastest, axes in file order") {
  const SweepSpec s = SweepSpec::parse(
      spec_with({{"grid", {{"model_options.ratio", {0.25, 0.75}}, {"model_options.s", {2, 4}}}},
                 {"seeds", {0, 1}}}));
  REQUIRE(s.axes == std::vector<std::string>{"model_options.ratio", "model_options.s"});
  REQUIRE(s.trials.size() == 8);
  CHECK(s.out == "runs/x");
  CHECK(s.trials[0].name == "00-ratio0.25-s2-seed0");
  CHECK(s.trials[1].name == "01-ratio0.25-s2-seed1");
  CHECK(s.trials[2].name == "02-ratio0.25-s4-seed0");
  CHECK(s.trials[7].name == "07-ratio0.75-s4-seed1");
  const tools::TrainConfig& c = s.trials[5].config;  // ratio 0.75, s 2, seed 1
  CHECK(c.model_options["ratio"] == 0.75);
  CHECK(c.model_options["s"] == 2);
  CHECK(c.model_options["w0"] == 1);  // from the base
  CHECK(c.seed == 1);
  CHECK(c.out == "runs/x/trials/05-ratio0.75-s2-seed1");
}

TEST_CASE("sweep spec: a list of grids puts a baseline beside the HS trials; set and --out") {
  const SweepSpec s = SweepSpec::parse(
      spec_with(
          {{"set", {{"model_options", ojson::object()}, {"lr", 0.02}}},
           {"grid",
            {{{"model", {"resnet20_cifar"}}}, {{"model_options.split", {{1, 1, 2, 4}, {1, 3}}}}}}}),
      "elsewhere");
  REQUIRE(s.axes == std::vector<std::string>{"model", "model_options.split"});
  REQUIRE(s.trials.size() == 3);
  CHECK(s.out == "elsewhere");
  CHECK(s.trials[0].config.model == "resnet20_cifar");
  CHECK(s.trials[0].axes["model_options.split"].is_null());
  CHECK(s.trials[0].config.lr == 0.02);
  CHECK(s.trials[1].config.model == "hs_resnet29_cifar");
  CHECK(s.trials[1].axes["model"].is_null());
  CHECK(s.trials[1].config.model_options["split"] == nlohmann::json({1, 1, 2, 4}));
  CHECK(s.trials[1].name == "01-split1_1_2_4-seed0");
  CHECK(s.trials[2].config.out == "elsewhere/trials/02-split1_3-seed0");
}

TEST_CASE("sweep spec: random axes are drawn reproducibly from their seed") {
  const ojson random = {{"n", 5},
                        {"seed", 3},
                        {"space",
                         {{"model_options.ratio", {{"uniform", {0.1, 0.9}}}},
                          {"model_options.s", {{"choice", {2, 4, 8}}}},
                          {"batch_size", {{"int", {8, 12}}}}}}};
  const SweepSpec a = SweepSpec::parse(spec_with({{"random", random}}));
  const SweepSpec b = SweepSpec::parse(spec_with({{"random", random}}));
  REQUIRE(a.trials.size() == 5);
  REQUIRE(a.axes.size() == 3);
  bool differ = false;
  for (std::size_t i = 0; i < 5; ++i) {
    const auto& o = a.trials[i].config.model_options;
    CHECK(o["ratio"].get<double>() >= 0.1);
    CHECK(o["ratio"].get<double>() <= 0.9);
    const std::int64_t s = o["s"].get<std::int64_t>();
    CHECK((s == 2 || s == 4 || s == 8));
    CHECK(a.trials[i].config.batch_size >= 8);
    CHECK(a.trials[i].config.batch_size <= 12);
    CHECK(a.trials[i].axes == b.trials[i].axes);
    differ = differ || a.trials[i].axes != a.trials[0].axes;
  }
  CHECK(differ);
}

TEST_CASE("sweep spec: checking a trial's model builds it without drawing its weights") {
  // fuzz_sweep_spec found specs of 7 wide trials (w0 = 71, 17 M parameters each) that took
  // 15 s under ASan, nearly all of it drawing weights nobody uses; the input is kept as
  // fuzz/corpus/sweep_spec/regression_wide_trials. The generator shows whether any were drawn.
  nn::manual_seed(5);
  const Generator::State before = nn::global_generator().state();
  ojson base = base_config();
  base["model_options"]["w0"] = 24;
  const SweepSpec spec = SweepSpec::parse(
      {{"base", base}, {"grid", {{"model_options.ratio", {0.25, 0.5}}}}, {"out", "runs/x"}});
  REQUIRE(spec.trials.size() == 2);
  CHECK(nn::global_generator().state().s == before.s);
  // A model option that the registry refuses is still found by building the model.
  require_error(spec_with({{"grid", {{"model_options.s", {1}}}}}), "model_options.s");
}

TEST_CASE("sweep spec: the base may be a config file") {
  test::TempDir tmp;
  {
    std::ofstream f(tmp / "base.json");
    f << base_config().dump();
  }
  ojson spec = {
      {"base", (tmp / "base.json").string()}, {"grid", {{"lr", {0.1, 0.2}}}}, {"out", "o"}};
  const SweepSpec s = SweepSpec::parse(spec);
  REQUIRE(s.trials.size() == 2);
  CHECK(s.trials[1].config.lr == 0.2);
  CHECK(s.trials[1].config.model_options["w0"] == 1);
  require_error({{"base", (tmp / "missing.json").string()}, {"grid", {{"lr", {0.1}}}}},
                "cannot read base config");
  {
    std::ofstream f(tmp / "bad.json");
    f << "{ not json";
  }
  require_error({{"base", (tmp / "bad.json").string()}, {"grid", {{"lr", {0.1}}}}},
                "is not valid JSON");
}

TEST_CASE("sweep spec: every error names its key or value") {
  const ojson grid = {{"lr", {0.1}}};
  require_error(spec_with({{"grid", grid}, {"grids", grid}}), "unknown key 'grids'");
  require_error({{"grid", grid}, {"out", "o"}}, "needs a 'base'");
  require_error(spec_with({{"base", 3}, {"grid", grid}}),
                "'base' must be a config file name or object");
  require_error({{"base", base_config()}, {"grid", grid}}, "no output folder");
  require_error(spec_with(ojson::object()), "no 'grid' or 'random' axes");
  require_error(spec_with({{"grid", {{"lr", ojson::array()}}}}),
                "grid axis 'lr' must be a non-empty list");
  require_error(spec_with({{"grid", {{"lr", 0.1}}}}), "grid axis 'lr' must be a non-empty list");
  require_error(spec_with({{"grid", 5}}), "'grid' must be an object of axes or a list");
  require_error(spec_with({{"grid", {1, 2}}}), "every entry of 'grid' must be an object");
  require_error(spec_with({{"grid", {{"learning_rate", {0.1}}}}}), "unknown key 'learning_rate'");
  require_error(spec_with({{"grid", {{"model_options.colour", {1}}}}}), "unknown option 'colour'");
  require_error(spec_with({{"grid", {{"model_options.s", {4, 1}}}}}),
                "\"model_options.s\":1");  // the trial with the bad value is named
  require_error(spec_with({{"grid", {{"model_options.s", {4, 1}}}}}), "'s' must be >= 2");
  require_error(
      spec_with({{"grid", {{"model_options.split", {{1, 1, 2, 4}}}, {"model_options.s", {3}}}}}),
      "split has 4 proportions but s is 3");
  require_error(spec_with({{"grid", {{"model", {"resnet20_cifar"}}}}}),
                "unknown option 'w0' for resnet20_cifar");
  require_error(spec_with({{"grid", {{"model", {"resnet7"}}}}}), "unknown model 'resnet7'");
  require_error(spec_with({{"grid", {{"epochs", {0}}}}}), "'epochs' must be >= 1");
  require_error(spec_with({{"grid", {{"lr", {"fast"}}}}}), "key 'lr' has the wrong type");
  require_error(spec_with({{"grid", {{"seed", {1, 2}}}}}), "use 'seeds'");
  require_error(spec_with({{"grid", {{"out", {"a"}}}}}), "'out' cannot be an axis");
  require_error(spec_with({{"grid", {{"model_options.a.b", {1}}}}}),
                "must be a training key or model_options.<option>");
  // model_options that is not an object, from the base or from an axis before the option's.
  ojson numeric_options = base_config();
  numeric_options["model_options"] = 1;
  require_error(spec_with({{"base", numeric_options}, {"grid", {{"model_options.s", {3}}}}}),
                "key 'model_options.s' needs 'model_options' to be an object, but it is a JSON "
                "number");
  require_error(
      spec_with({{"grid", {{"model_options", {2}}, {"model_options.s", {3}}}}}),
      "key 'model_options.s' needs 'model_options' to be an object, but it is a JSON number");
  require_error(spec_with({{"grid", grid}, {"set", 1}}), "'set' must be an object");
  require_error(spec_with({{"grid", grid}, {"set", {{"nonsense", 1}}}}), "unknown key 'nonsense'");
  require_error(spec_with({{"grid", grid}, {"seeds", ojson::array()}}),
                "'seeds' must be a non-empty list");
  require_error(spec_with({{"grid", grid}, {"seeds", {-1}}}), "'seeds' must hold integers >= 0");
  // A base seed or an 'out' of the wrong type (found by fuzz_sweep_spec: nlohmann's type_error
  // escaped; input kept as fuzz/corpus/sweep_spec/regression_seed_string).
  ojson string_seed = base_config();
  string_seed["seed"] = "hs_resnet29_cifar";
  require_error(spec_with({{"base", string_seed}, {"grid", grid}, {"seeds", {0, 1}}}),
                "the base config's 'seed' must be an integer >= 0, got \"hs_resnet29_cifar\"");
  string_seed["seed"] = -3;
  require_error(spec_with({{"base", string_seed}, {"grid", grid}}),
                "'seed' must be an integer >= 0");
  require_error(spec_with({{"grid", grid}, {"out", 7}}),
                "'out' must be a folder name (a string), got 7");
  require_error(spec_with({{"random", 1}}), "'random' must be an object");
  require_error(spec_with({{"random", {{"n", 0}, {"space", {{"lr", {{"choice", {0.1}}}}}}}}}),
                "'random.n' must be an integer >= 1");
  require_error(spec_with({{"random", {{"n", 2}}}}), "'random.space' must be a non-empty object");
  require_error(
      spec_with({{"random", {{"n", 2}, {"space", {{"lr", {{"choice", {0.1}}}}}}, {"count", 1}}}}),
      "unknown key 'random.count'");
  require_error(spec_with({{"random", {{"n", 2}, {"space", {{"lr", {{"normal", {0, 1}}}}}}}}}),
                "random axis 'lr': 'normal' needs");
  require_error(spec_with({{"random", {{"n", 2}, {"space", {{"lr", {{"uniform", {0.5, 0.1}}}}}}}}}),
                "lo <= hi");
  require_error(
      spec_with({{"random", {{"n", 2}, {"space", {{"lr", {{"choice", ojson::array()}}}}}}}}),
      "choice needs a non-empty list");
  require_error(spec_with({{"random", {{"n", 2}, {"space", {{"lr", 0.1}}}}}}),
                "random axis 'lr' must be one of");
}

TEST_CASE("sweep spec: a spec file that is not JSON") {
  test::TempDir tmp;
  {
    std::ofstream f(tmp / "spec.json");
    f << "{\"base\": ";
  }
  REQUIRE_THROWS_WITH(SweepSpec::read((tmp / "spec.json").string()),
                      Catch::Contains("is not valid JSON"));
  REQUIRE_THROWS_WITH(SweepSpec::read((tmp / "none.json").string()),
                      Catch::Contains("cannot read the spec"));
}
