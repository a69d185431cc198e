// hsnet train: trains a model from a JSON config plus command-line overrides, or resumes a
// run. Exit status 0 when finished, 130 when stopped by Ctrl-C (checkpoint saved), 3 when
// the loss diverged (last good checkpoint kept).
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <vector>

#include "core/error.h"
#include "tools/commands.h"
#include "tools/distributed.h"
#include "tools/model_args.h"
#include "tools/trainer.h"

namespace hs::tools {

namespace {

struct TrainArgs {
  std::string config_path, resume;
  ModelArgs model;
  std::optional<std::string> dataset, data, optimizer, schedule, device, out;
  std::optional<std::int64_t> epochs, batch_size, threads, limit_train, limit_test, loader_threads;
  std::optional<bool> skip_bad_images;
  std::optional<double> warmup_epochs;
  std::optional<double> lr, momentum, weight_decay, label_smoothing;
  std::optional<std::uint64_t> seed;
  std::optional<double> bucket_mb;
  bool distributed = false, sync_bn = false;
  CLI::Option* model_opt = nullptr;
};

nlohmann::json read_config_file(const std::string& path) {
  std::ifstream f(path);
  HS_CHECK(f.good(), "config: cannot read ", path);
  try {
    return nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {
    HS_FAIL("config: ", path, " is not valid JSON (", e.what(), ")");
  }
}

template <class T>
void set(nlohmann::json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

void on_sigint(int) { request_stop(); }

// Trains on this rank with Ctrl-C asking for a checkpoint and a stop (in a job of several
// ranks also SIGTERM, which mpirun sends its ranks when it is interrupted, and SIGUSR1,
// which it passes on); rank 0 reports.
int train_and_report(const TrainConfig& config, bool resume, dist::ProcessGroup& group) {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
  sigemptyset(&sa.sa_mask);
  const std::vector<int> signals =
      group.size() > 1 ? std::vector<int>{SIGINT, SIGTERM, SIGUSR1} : std::vector<int>{SIGINT};
  for (int sig : signals) sigaction(sig, &sa, nullptr);
  const TrainSummary s = train(config, resume, group);
  for (int sig : signals) signal(sig, SIG_DFL);
  if (group.rank() != 0)
    return s.outcome == TrainOutcome::finished      ? 0
           : s.outcome == TrainOutcome::interrupted ? 130
                                                    : 3;
  switch (s.outcome) {
    case TrainOutcome::finished:
      std::printf("done: %lld epochs, best test accuracy %.2f%%, outputs in %s\n",
                  static_cast<long long>(s.epochs_done), 100 * s.best_test_acc, config.out.c_str());
      return 0;
    case TrainOutcome::interrupted:
      std::printf("%s\n", s.message.c_str());
      return 130;
    case TrainOutcome::diverged:
      std::fprintf(stderr, "error: %s\n", s.message.c_str());
      return 3;
  }
  return 1;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto a = std::make_shared<TrainArgs>();
  app.add_option("--config", a->config_path, "JSON config file (configs/*.json)");
  app.add_option("--resume", a->resume, "continue the run saved in this output directory");
  a->model.add_to(app);
  a->model_opt = app.get_option("--model");
  app.add_option("--dataset", a->dataset,
                 "fashion-mnist | mnist | cifar10 | cifar100 | folder (with --data DIR)");
  app.add_option("--data", a->data, "dataset directory");
  app.add_option("--epochs", a->epochs, "epochs");
  app.add_option("--batch-size", a->batch_size, "batch size");
  app.add_option("--lr", a->lr, "learning rate");
  app.add_option("--momentum", a->momentum, "SGD momentum");
  app.add_option("--weight-decay", a->weight_decay, "weight decay");
  app.add_option("--optimizer", a->optimizer, "sgd | adamw");
  app.add_option("--schedule", a->schedule, "constant | multistep | cosine");
  app.add_option("--warmup-epochs", a->warmup_epochs, "linear warm-up epochs (cosine)");
  app.add_option("--label-smoothing", a->label_smoothing, "label smoothing in [0, 1)");
  app.add_option("--seed", a->seed, "seed of initialisation, shuffling and augmentation");
  app.add_option("--threads", a->threads, "CPU threads (0: all cores)");
  app.add_option("--device", a->device, "cpu | cuda");
  app.add_option("--out", a->out, "output directory");
  app.add_option("--limit-train", a->limit_train, "use the first N training images");
  app.add_option("--limit-test", a->limit_test, "use the first N test images");
  app.add_option("--loader-threads", a->loader_threads,
                 "image folders: threads decoding each batch (default 2)");
  app.add_flag("--skip-bad-images", a->skip_bad_images,
               "image folders: leave out files that do not decode, and count them");
  app.add_flag("--distributed", a->distributed,
               "data-parallel over the ranks mpirun started (--batch-size is per rank)");
  app.add_flag("--sync-bn", a->sync_bn,
               "with --distributed: batch-norm statistics over all ranks' batches");
  app.add_option("--bucket-mb", a->bucket_mb,
                 "with --distributed: size of the gradient buckets all-reduced during backward");
  return [a, &app]() {
    nlohmann::json j;
    const bool resume = !a->resume.empty();
    if (resume) {
      for (const char* name : {"--config",     "--model",         "--s",
                               "--w0",         "--ratio",         "--dataset",
                               "--data",       "--batch-size",    "--lr",
                               "--momentum",   "--weight-decay",  "--optimizer",
                               "--schedule",   "--warmup-epochs", "--label-smoothing",
                               "--seed",       "--out",           "--limit-train",
                               "--limit-test", "--classes",       "--in-channels",
                               "--split",      "--sync-bn"})
        HS_CHECK(app.count(name) == 0, "train: ", name,
                 " cannot be changed when resuming (only --epochs, --threads and --device can)");
      j = read_config_file(a->resume + "/config.json");
      j["out"] = a->resume;
    } else if (!a->config_path.empty()) {
      j = read_config_file(a->config_path);
    } else {
      j = nlohmann::json::object();
    }
    if (!resume) {
      if (a->model_opt->count() > 0) j["model"] = a->model.model;
      nlohmann::json options = j.value("model_options", nlohmann::json::object());
      j["model_options"] = a->model.options(options);
      set(j, "dataset", a->dataset);
      set(j, "data", a->data);
      set(j, "batch_size", a->batch_size);
      set(j, "lr", a->lr);
      set(j, "momentum", a->momentum);
      set(j, "weight_decay", a->weight_decay);
      set(j, "optimizer", a->optimizer);
      set(j, "schedule", a->schedule);
      set(j, "warmup_epochs", a->warmup_epochs);
      set(j, "label_smoothing", a->label_smoothing);
      set(j, "seed", a->seed);
      set(j, "out", a->out);
      set(j, "limit_train", a->limit_train);
      set(j, "limit_test", a->limit_test);
      set(j, "skip_bad_images", a->skip_bad_images);
      if (a->sync_bn) j["sync_bn"] = true;
    }
    set(j, "bucket_mb", a->bucket_mb);
    set(j, "epochs", a->epochs);
    set(j, "threads", a->threads);
    set(j, "loader_threads", a->loader_threads);
    set(j, "device", a->device);
    const TrainConfig config = TrainConfig::from_json(j);

    HS_CHECK(!config.sync_bn || a->distributed, "train: --sync-bn needs --distributed");
    const auto group = make_group(a->distributed, parse_device(config.device));
    return run_on_ranks(*group, [&] { return train_and_report(config, resume, *group); });
  };
}

}  // namespace hs::tools
