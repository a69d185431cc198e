#include "tools/sweep_trial.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <new>

#include "autograd/grad_mode.h"
#include "autograd/loss.h"
#include "core/backend.h"
#include "core/threads.h"
#include "data/datasets.h"
#include "models/registry.h"
#include "nn/init.h"
#include "nn/summary.h"
#include "tools/gradcheck_target.h"
#include "tools/trainer.h"

namespace hs::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

json read_json_or_null(const fs::path& path) {
  std::ifstream f(path);
  if (!f.good()) return nullptr;
  return json::parse(f, nullptr, false);  // a damaged file counts as absent: redone
}

// The multi-scale block a trial's model is made of: hs, res2net, sk, or "" for the basic and
// bottleneck blocks (plain convolutions, which the operators' own gradchecks cover).
std::string multi_scale_block(const TrainConfig& c) {
  if (c.model == "cifar_resnet" || c.model == "imagenet_resnet") {
    const std::string block = c.model_options.value("block", std::string("hs"));
    return block == "hs" || block == "res2net" || block == "sk" ? block : "";
  }
  if (c.model.rfind("hs_", 0) == 0) return "hs";
  if (c.model.rfind("res2ne", 0) == 0) return "res2net";
  if (c.model.rfind("sk", 0) == 0) return "sk";
  return "";
}

// (1): the trial's block and its bottleneck (strided), with the trial's split options, in
// f64: the largest error over the checked targets, and whether all passed.
json check_gradients(const TrainConfig& c) {
  const std::string block = multi_scale_block(c);
  if (block.empty()) return {{"gradcheck", "n/a"}, {"gradcheck_max_error", nullptr}};
  const json& o = c.model_options;
  GradcheckTarget t;
  t.s = o.value("s", std::int64_t{4});
  t.w = 2;
  if (block == "hs") {
    t.ratio = o.value("ratio", 0.5);
    t.carry_leading = o.value("carry_leading", false);
    if (o.contains("split")) t.split = o["split"].get<std::vector<double>>();
  } else if (block == "sk") {
    t.s = 2;  // the models' two branches (3x3 and dilated 3x3)
    t.w = 4;
  }
  t.size = 5;
  t.seed = c.seed;
  bool ok = true;
  double error = 0;
  for (const auto& [target, stride] :
       {std::pair{block + "_block", 1}, std::pair{block + "_bottleneck", 2}}) {
    t.target = target;
    t.stride = stride;
    const GradcheckOutcome g = run_gradcheck(t, nullptr);
    ok = ok && g.ok;
    error = std::max(error, g.max_abs_error);
  }
  return {{"gradcheck", ok ? "PASS" : "FAIL"}, {"gradcheck_max_error", error}};
}

// (2) and (3) on a fresh model of the trial's shape.
json measure(const TrainConfig& c, const data::ImageDataset& shape_of) {
  set_num_threads(static_cast<int>(c.threads));
  const Device device = parse_device(c.device);
  json options = c.model_options;
  if (!options.contains("in_channels")) options["in_channels"] = shape_of.channels;
  if (!options.contains("classes")) options["classes"] = shape_of.num_classes;
  nn::manual_seed(c.seed);
  auto model = models::create_model(c.model, options);
  const nn::Summary summary =
      nn::summarize(*model, {1, shape_of.channels, shape_of.height, shape_of.width});
  model->to(device);
  const std::int64_t batch = std::min<std::int64_t>(c.batch_size, 64);
  Generator gen(c.seed + 1);
  const Tensor images =
      randn({batch, shape_of.channels, shape_of.height, shape_of.width}, gen).to(device);
  Tensor labels = empty({batch}, DType::i64);
  for (std::int64_t i = 0; i < batch; ++i)
    labels.data<std::int64_t>()[i] = i % shape_of.num_classes;
  labels = labels.to(device);
  auto images_per_second = [&](bool train) {
    model->train(train);
    std::vector<double> seconds;
    for (int i = 0; i < 4; ++i) {  // the first is a warm-up, not counted
      const auto t0 = Clock::now();
      if (train) {
        model->zero_grad();
        cross_entropy((*model)(Variable(images)), labels).backward();
      } else {
        NoGradGuard no_grad;
        (*model)(Variable(images));
      }
      backend_for(device).synchronize();
      if (i > 0) seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    std::sort(seconds.begin(), seconds.end());
    return batch / std::max(1e-9, seconds[seconds.size() / 2]);
  };
  return {{"params", summary.total_params},
          {"macs", summary.total_macs},
          {"train_img_per_s", images_per_second(true)},
          {"infer_img_per_s", images_per_second(false)}};
}

json base_row(const SweepTrial& t) {
  json row = json::object();
  row["trial"] = t.name;
  row["axes"] = t.axes;
  row["seed"] = t.seed;
  return row;
}

}  // namespace

json finished_row(const SweepTrial& trial) {
  const json row = read_json_or_null(fs::path(trial.config.out) / "result.json");
  if (!row.is_object() || !row.contains("status") || row["status"] == "running") return nullptr;
  return row;
}

TrialResult run_trial(const SweepTrial& trial, std::int64_t threads, const std::string& device) {
  TrainConfig c = trial.config;
  c.threads = threads;
  c.device = device;
  const fs::path dir = c.out;
  TrialResult result;
  result.row = base_row(trial);
  json& row = result.row;
  const auto start = Clock::now();
  double seconds_before = 0;
  try {
    fs::create_directories(dir);
    json measured = read_json_or_null(dir / "measure.json");
    if (!measured.is_object()) {
      measured = check_gradients(c);
      if (measured["gradcheck"] != "FAIL") {
        const std::string data_dir = c.data.empty() ? data::default_data_dir(c.dataset) : c.data;
        measured.update(measure(c, data::load_dataset(c.dataset, data_dir, false)));
      }
      measured["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
      write_text_atomic(dir / "measure.json", measured.dump(2) + "\n");
    }
    seconds_before = measured.value("seconds", 0.0);
    for (const auto& [key, v] : measured.items())
      if (key != "seconds") row[key] = v;
    if (measured["gradcheck"] == "FAIL") {
      row["status"] = "gradcheck-failed";
    } else {
      const bool resume = fs::exists(dir / "last.json");
      const TrainSummary s = train(c, resume);
      if (s.epochs_done > 0) {  // an interrupted trial has no accuracy yet
        row["best_test_acc"] = s.best_test_acc;
        row["final_test_acc"] = s.last_test_acc;
      }
      switch (s.outcome) {
        case TrainOutcome::finished:
          row["status"] = "done";
          break;
        case TrainOutcome::diverged:
          row["status"] = "failed: " + s.message;
          break;
        case TrainOutcome::interrupted:
          row["status"] = "running";
          result.end = TrialEnd::interrupted;
          break;
      }
    }
  } catch (const Error& e) {
    row["status"] = std::string("failed: ") + e.what();
  } catch (const std::bad_alloc&) {
    row["status"] = "failed: out of memory";
  } catch (const std::exception& e) {
    row["status"] = std::string("failed: ") + e.what();
  }
  row["seconds"] = seconds_before + std::chrono::duration<double>(Clock::now() - start).count();
  std::error_code ec;
  fs::create_directories(dir, ec);
  write_text_atomic(dir / "result.json", row.dump(2) + "\n");
  return result;
}

}  // namespace hs::tools
