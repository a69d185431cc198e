// The training run: one class, Run, whose members are the steps a reader follows in order
// (load_data, build, prepare, train_epoch -> train_step, finish_epoch, save_checkpoint,
// restore, summarise), plus the resume state (Progress) its checkpoints record. Longer than
// the ~400 lines of a library file because the steps share Run's state; split across files
// they would need that state in a header of its own for no reader's gain.
#include "tools/trainer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "autograd/loss.h"
#include "core/atomic_file.h"
#include "core/threads.h"
#include "data/datasets.h"
#include "data/distributed_sampler.h"
#include "data/loader.h"
#include "dist/reducer.h"
#include "models/registry.h"
#include "nn/adamw.h"
#include "nn/init.h"
#include "nn/lr_schedule.h"
#include "nn/safetensors.h"
#include "nn/sgd.h"
#include "nn/summary.h"
#include "nn/sync_batch_norm.h"
#include "ops/loss.h"
#include "tools/distributed.h"
#include "tools/evaluate_sharded.h"
#include "tools/model_io.h"
#include "tools/nonfinite.h"
#include "tools/plot.h"
#include "tools/report_run.h"
#include "tools/step_log.h"

namespace hs::tools {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> stop_requested{false};

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

void write_text_atomic(const fs::path& path, const std::string& text) {
  write_file_atomic(path.string(), text);
}

namespace {

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

// Where a run stands: completed epochs, batches done in the current one, and the running
// sums of the current epoch's training metrics.
struct Progress {
  std::int64_t epoch = 0, step = 0;
  double loss_sum = 0, seconds = 0;
  std::int64_t correct = 0, seen = 0;
  double best_test_acc = -1;
  std::vector<nlohmann::json> metrics;  // one object per completed epoch

  std::string tag() const { return std::to_string(epoch) + ":" + std::to_string(step); }
  nlohmann::json to_json() const {
    return {{"epoch", epoch},
            {"step", step},
            {"loss_sum", loss_sum},
            {"seconds", seconds},
            {"correct", correct},
            {"seen", seen},
            {"best_test_acc", best_test_acc},
            {"metrics", metrics}};
  }
  // Refuses what a hand-edited or corrupt last.json could hold that the run would trip over
  // later: wrong types, fractions or out-of-range numbers in counters, impossible counts, and
  // metrics entries without the fields the reports plot.
  static Progress from_json(const nlohmann::json& j, const std::string& name) {
    const auto counter = [&](const char* key) -> std::int64_t {
      const nlohmann::json& v = j.at(key);
      HS_CHECK(v.is_number_integer() && v.get<std::int64_t>() >= 0, "resume: ", name, ": '", key,
               "' must be an integer >= 0, got ", v.dump());
      return v.get<std::int64_t>();
    };
    Progress p;
    try {
      HS_CHECK(j.is_object(), "resume: ", name, " must hold a JSON object");
      p.epoch = counter("epoch");
      p.step = counter("step");
      p.loss_sum = j.at("loss_sum");
      p.seconds = j.at("seconds");
      p.correct = counter("correct");
      p.seen = counter("seen");
      p.best_test_acc = j.at("best_test_acc");
      p.metrics = j.at("metrics").get<std::vector<nlohmann::json>>();
    } catch (const nlohmann::json::exception& e) {
      HS_FAIL("resume: ", name, " is malformed (", e.what(), ")");
    }
    HS_CHECK(p.correct <= p.seen, "resume: ", name, ": 'correct' (", p.correct,
             ") exceeds 'seen' (", p.seen, ")");
    HS_CHECK(p.metrics.size() == static_cast<std::size_t>(p.epoch), "resume: ", name, " holds ",
             p.metrics.size(), " metrics entries for ", p.epoch, " completed epochs");
    for (const nlohmann::json& m : p.metrics)
      for (const char* key : {"epoch", "train_loss", "test_loss", "train_acc", "test_acc"})
        HS_CHECK(m.is_object() && m.contains(key) && m[key].is_number(), "resume: ", name,
                 ": metrics entry ", m.dump(), " lacks a number '", key, "'");
    return p;
  }
};

Progress parse_progress(const std::string& text, const std::string& name) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    HS_FAIL("resume: ", name, " is not valid JSON (", e.what(), ")");
  }
  return Progress::from_json(j, name);
}

std::string read_text(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  HS_CHECK(f.good(), "resume: cannot read ", path.string());
  std::ostringstream text;
  text << f.rdbuf();
  HS_CHECK(!f.bad(), "resume: error while reading ", path.string());
  return text.str();
}

}  // namespace

void check_resume_state(const std::string& text, const std::string& name) {
  parse_progress(text, name);
}

namespace {

class Run {
 public:
  Run(const TrainConfig& c, dist::ProcessGroup& group) : c_(c), out_(c.out), group_(group) {}
  TrainSummary execute(bool resume);

 private:
  // The steps of a run, in order.
  void prepare(bool resume);
  void load_data();
  void build(bool resume);
  void restore();
  void announce(bool resume) const;
  // Trains the rest of the current epoch; false when the run stopped (summary_ says why).
  bool train_epoch(data::Loader& loader);
  // One optimizer step on `batch`; false when the loss was not finite.
  // Figures of the whole batch over all ranks.
  bool train_step(const data::Batch& batch, std::int64_t& correct, std::int64_t& seen,
                  double& loss_value);
  // Evaluates, logs and checkpoints the finished epoch; false (the run stopped) when the
  // evaluation is not finite.
  bool finish_epoch();
  TrainSummary summarise();

  void stop(TrainOutcome outcome, const std::string& message);
  bool root() const { return group_.rank() == 0; }
  void save_checkpoint(const std::string& name);
  void save_best_eval(const EvalResult& ev);
  void write_reports();
  void show_progress(std::int64_t index, double loss, double acc, double img_per_s, double eta,
                     bool final);

  TrainConfig c_;
  fs::path out_;
  dist::ProcessGroup& group_;
  std::unique_ptr<dist::Reducer> reducer_;  // averages gradients when there are several ranks
  bool stop_agreed_ = false;                // some rank was asked to stop at this step
  data::ImageDataset train_, test_;
  data::Augment train_aug_, test_aug_;
  data::LoaderOptions loading_;    // decode threads and bad-file skipping, for both splits
  std::set<std::string> skipped_;  // bad files left out so far, by either split
  ModelMeta meta_;
  std::shared_ptr<models::ResNet> model_;
  std::unique_ptr<nn::Optimizer> opt_;
  std::unique_ptr<nn::LrSchedule> schedule_;
  std::int64_t steps_per_epoch_ = 0, steps_this_run_ = 0, steps_this_epoch_ = 0;
  Progress progress_;
  std::unique_ptr<StepLog> step_log_;
  TrainSummary summary_;
  std::string summary_table_;  // the model summary, for the report
  Device device_;
  bool tty_ = false;
};

void Run::load_data() {
  const bool folder = c_.dataset == "folder";
  const std::string dir = c_.data.empty() && !folder ? data::default_data_dir(c_.dataset) : c_.data;
  // Image folders are decoded to the model's own input size.
  const std::int64_t image_size = folder ? models::model_input_size(c_.model) : 0;
  train_ = data::load_dataset(c_.dataset, dir, true, image_size);
  test_ = data::load_dataset(c_.dataset, dir, false, image_size);
  if (c_.limit_train > 0) train_ = data::subset(train_, c_.limit_train);
  if (c_.limit_test > 0) test_ = data::subset(test_, c_.limit_test);
  const std::optional<data::ChannelStats> known = data::known_channel_stats(c_.dataset);
  const data::ChannelStats stats = known ? *known : data::channel_stats(train_);
  test_aug_.mean = stats.mean;
  test_aug_.std = stats.std;
  train_aug_ = test_aug_;
  train_aug_.flip = c_.flip;
  if (folder)
    train_aug_.random_resized_crop = true;
  else
    train_aug_.pad = c_.crop_padding >= 0 ? c_.crop_padding : (train_.height >= 32 ? 4 : 2);
  loading_.decode_threads = c_.loader_threads;
  loading_.skip_bad_images = c_.skip_bad_images;
}

void Run::build(bool resume) {
  meta_.model = c_.model;
  meta_.options = c_.model_options;
  if (!meta_.options.contains("in_channels")) meta_.options["in_channels"] = train_.channels;
  if (!meta_.options.contains("classes")) meta_.options["classes"] = train_.num_classes;
  meta_.dataset = c_.dataset;
  meta_.channels = train_.channels;
  meta_.height = train_.height;
  meta_.width = train_.width;
  meta_.mean = test_aug_.mean;
  meta_.std = test_aug_.std;
  meta_.class_names = train_.class_names;
  HS_CHECK(meta_.options["classes"] == train_.num_classes, "train: the model has ",
           meta_.options["classes"].dump(), " classes but ", c_.dataset, " has ",
           train_.num_classes);

  nn::manual_seed(c_.seed);
  model_ = build_model(meta_);
  summary_table_ =
      nn::summarize(*model_, {1, train_.channels, train_.height, train_.width}).table();
  model_->to(device_);
  broadcast_module_state(*model_, group_);
  if (c_.sync_bn && group_.size() > 1) nn::convert_sync_batch_norm(*model_, group_);
  const auto params = model_->named_parameters();
  if (c_.optimizer == "sgd") {
    nn::SgdOptions o;
    o.lr = c_.lr;
    o.momentum = c_.momentum;
    o.nesterov = c_.nesterov;
    o.weight_decay = c_.weight_decay;
    o.no_decay_bn_and_bias = c_.no_decay_bn_bias;
    opt_ = std::make_unique<nn::SGD>(params, o);
  } else {
    nn::AdamWOptions o;
    o.lr = c_.lr;
    o.weight_decay = c_.weight_decay;
    o.no_decay_bn_and_bias = c_.no_decay_bn_bias;
    opt_ = std::make_unique<nn::AdamW>(params, o);
  }
  if (group_.size() > 1) {
    std::vector<Variable> vars;
    for (const auto& [name, p] : params) vars.push_back(p);
    reducer_ = std::make_unique<dist::Reducer>(
        vars, group_, static_cast<std::int64_t>(c_.bucket_mb * 1024 * 1024));
  }
  const std::int64_t n = data::shard_size(train_.n, group_.size());
  steps_per_epoch_ = (n + c_.batch_size - 1) / c_.batch_size;
  schedule_ = nn::make_schedule(c_.schedule, c_.lr, steps_per_epoch_, c_.epochs, c_.warmup_epochs,
                                c_.milestones, c_.gamma);
  if (resume) {
    // Rank 0 first: it may finish an interrupted checkpoint by renaming its files.
    if (!root()) group_.barrier();
    restore();
    if (root()) group_.barrier();
  }
}

// The weights and optimizer state go to NAME.next.* first, then NAME.json (the commit point),
// then over NAME.*: a crash anywhere leaves a pair whose progress tag matches NAME.json,
// either NAME.* or NAME.next.*, which restore() picks.
void Run::save_checkpoint(const std::string& name) {
  if (!root()) return;
  const std::string tag = progress_.tag();
  const std::string weights = (out_ / (name + ".safetensors")).string();
  const std::string optim = (out_ / (name + ".optim.safetensors")).string();
  const std::string next_weights = (out_ / (name + ".next.safetensors")).string();
  const std::string next_optim = (out_ / (name + ".next.optim.safetensors")).string();
  save_weights(*model_, meta_, next_weights, {{"progress", tag}});
  nn::write_safetensors(next_optim, opt_->state_dict(),
                        {{"progress", tag}, {"optimizer", c_.optimizer}});
  // Saved with the checkpoint, not as it grows, so a run that diverges changes nothing.
  if (name == "last") write_text_atomic(out_ / "steps.jsonl", step_log_->jsonl());
  write_text_atomic(out_ / (name + ".json"), progress_.to_json().dump(2) + "\n");
  rename_durable(next_weights, weights);
  rename_durable(next_optim, optim);
}

// The file of `kind` ("" or ".optim") whose progress matches `tag`: last.* or, after a crash
// between the marker last.json and the final renames, last.next.*, which is then renamed into
// place to finish that checkpoint. (A best checkpoint cut short needs no such repair: it is
// saved before the last one, so the resumed run redoes its epoch and saves it again.)
nn::SafetensorsFile read_matching(const fs::path& out, const std::string& kind,
                                  const std::string& tag) {
  const fs::path next = out / ("last.next" + kind + ".safetensors");
  const fs::path current = out / ("last" + kind + ".safetensors");
  if (fs::exists(next)) {
    nn::SafetensorsFile staged = nn::read_safetensors(next.string());
    if (staged.metadata["progress"] == tag) {
      rename_durable(next.string(), current.string());
      return staged;
    }
  }
  return nn::read_safetensors(current.string());
}

void Run::restore() {
  const fs::path state_path = out_ / "last.json";
  HS_CHECK(fs::exists(state_path), "resume: ", state_path.string(),
           " does not exist (nothing to resume in ", out_.string(), ")");
  progress_ = parse_progress(read_text(state_path), state_path.string());
  const std::string tag = progress_.tag();
  nn::SafetensorsFile weights = read_matching(out_, "", tag);
  nn::SafetensorsFile optim = read_matching(out_, ".optim", tag);
  HS_CHECK(weights.metadata["progress"] == tag && optim.metadata["progress"] == tag,
           "resume: the checkpoint files in ", out_.string(),
           " are from different points of the run (last.json ", tag, ", weights ",
           weights.metadata["progress"], ", optimizer ", optim.metadata["progress"], ")");
  model_->load_state_dict(weights.tensors);
  opt_->load_state_dict(optim.tensors);
  HS_CHECK(progress_.epoch < c_.epochs || progress_.step == 0, "resume: inconsistent progress ",
           tag);
  HS_CHECK(progress_.step <= steps_per_epoch_, "resume: ", state_path.string(), " is at step ",
           progress_.step, " of an epoch of ", steps_per_epoch_, " steps");
}

void Run::write_reports() {
  if (!root()) return;
  std::string lines;
  std::vector<EpochPoint> points;
  for (const auto& m : progress_.metrics) {
    lines += m.dump() + "\n";
    points.push_back({m["epoch"].get<double>(), m["train_loss"].get<double>(),
                      m["test_loss"].get<double>(), m["train_acc"].get<double>(),
                      m["test_acc"].get<double>()});
  }
  write_text_atomic(out_ / "metrics.jsonl", lines);
  write_text_atomic(out_ / "curves.svg", curves_svg(points, c_.model + " on " + c_.dataset));
  write_text_atomic(out_ / "report.html", run_report_html(out_, c_.model + " on " + c_.dataset,
                                                          c_.to_json(), summary_table_));
}

void Run::show_progress(std::int64_t index, double loss, double acc, double img_per_s, double eta,
                        bool final) {
  if (!root()) return;
  const std::int64_t done = index + 1;
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %lld/%lld  step %lld/%lld  loss %.4f  acc %.2f%%  %.1f img/s  ETA %s",
                static_cast<long long>(progress_.epoch + 1), static_cast<long long>(c_.epochs),
                static_cast<long long>(done), static_cast<long long>(steps_per_epoch_), loss,
                100 * acc, img_per_s, format_duration(eta).c_str());
  if (tty_) {
    constexpr int kBar = 24;
    const int filled = static_cast<int>(kBar * done / steps_per_epoch_);
    std::printf("\r[%s%s] %s\033[K", std::string(filled, '#').c_str(),
                std::string(kBar - filled, '.').c_str(), line);
    if (final) std::printf("\n");
    std::fflush(stdout);
  } else if (final || done % std::max<std::int64_t>(1, steps_per_epoch_ / 10) == 0) {
    std::printf("%s\n", line);
    std::fflush(stdout);
  }
}

TrainSummary Run::execute(bool resume) {
  prepare(resume);
  data::LoaderOptions lo = loading_;
  lo.batch_size = c_.batch_size;
  lo.shuffle = true;
  lo.augment = train_aug_;
  lo.seed = c_.seed;
  lo.replicas = group_.size();
  lo.rank = group_.rank();
  data::Loader loader(train_, lo);
  model_->train();
  while (progress_.epoch < c_.epochs) {
    const bool go_on = train_epoch(loader);
    const std::vector<std::string> skipped = loader.skipped_files();
    skipped_.insert(skipped.begin(), skipped.end());
    if (!go_on || !finish_epoch()) return summary_;
  }
  return summarise();
}

void Run::prepare(bool resume) {
  set_num_threads(static_cast<int>(c_.threads));
  device_ = parse_device(c_.device);
  tty_ = root() && ::isatty(::fileno(stdout)) != 0;
  if (resume) {
    HS_CHECK(c_.ranks == group_.size(), "resume: ", out_.string(), " was trained on ", c_.ranks,
             " rank(s) and must be resumed on as many (mpirun -np ", c_.ranks,
             c_.ranks > 1 ? " ... --distributed" : "", "), not ", group_.size());
  } else {
    c_.ranks = group_.size();
  }
  // Data, model and checkpoint are checked before anything is written, so a user error
  // leaves the disk as it was.
  load_data();
  build(resume);
  step_log_ = std::make_unique<StepLog>(steps_per_epoch_, c_.epochs);
  if (resume)
    step_log_->resume_from(out_ / "steps.jsonl",
                           progress_.epoch * steps_per_epoch_ + progress_.step);
  if (!root()) return;
  fs::create_directories(out_);
  // Temporaries that a write killed half-way through left behind.
  const std::vector<std::string> stale = remove_stale_temporaries(out_.string());
  if (!stale.empty())
    std::printf("removed %zu temporary file(s) of an interrupted write in %s (first: %s)\n",
                stale.size(), out_.string().c_str(), stale.front().c_str());
  write_text_atomic(out_ / "config.json", c_.to_json().dump(2) + "\n");
  announce(resume);
}

void Run::announce(bool resume) const {
  std::printf(
      "train %s %s on %s: %lld train / %lld test images of %lldx%lldx%lld, %lld params, "
      "%lld steps/epoch, %d threads%s%s\n",
      c_.model.c_str(), meta_.options.dump().c_str(), c_.dataset.c_str(),
      static_cast<long long>(train_.n), static_cast<long long>(test_.n),
      static_cast<long long>(train_.channels), static_cast<long long>(train_.height),
      static_cast<long long>(train_.width), static_cast<long long>(model_->num_parameters()),
      static_cast<long long>(steps_per_epoch_), num_threads(),
      group_.size() > 1 ? (" on each of " + std::to_string(group_.size()) + " ranks (batch " +
                           std::to_string(c_.batch_size) + " per rank, " +
                           std::to_string(reducer_->bucket_count()) + " gradient buckets" +
                           (c_.sync_bn ? ", synchronised batch norm)" : ")"))
                              .c_str()
                        : "",
      resume ? (" (resumed at " + progress_.tag() + ")").c_str() : "");
}

bool Run::train_step(const data::Batch& batch, std::int64_t& correct, std::int64_t& seen,
                     double& loss_value) {
  const std::int64_t global_step = progress_.epoch * steps_per_epoch_ + batch.index;
  opt_->set_lr(schedule_->lr_at(global_step));
  opt_->zero_grad();
  const Tensor labels = batch.labels.to(device_);
  const Variable logits = (*model_)(Variable(batch.images.to(device_)));
  const Variable loss = cross_entropy(logits, labels, c_.label_smoothing);
  fail_here_for_tests(group_.rank(), global_step);
  // Summed over the ranks before backward, so that all ranks stop together when one loss
  // is not finite, and the figures logged are those of the whole batch.
  const double local_loss = loss.item();
  const StepTotals totals =
      agree_on_step(group_, local_loss, ops::topk_correct(logits.data(), labels, {1})[0],
                    batch.labels.size(0), stop_requested);
  stop_agreed_ = totals.stop;
  seen = totals.seen;
  correct = totals.correct;
  if (group_.size() == 1)
    loss_value = local_loss;
  else if (!totals.nonfinite)
    loss_value = totals.loss_sum / static_cast<double>(seen);
  else  // this rank's loss when it is the one not finite, NaN when another rank's was
    loss_value = std::isfinite(local_loss) ? std::nan("") : local_loss;
  if (totals.nonfinite) return false;
  loss.backward();
  if (reducer_) reducer_->finish();
  opt_->step();
  return true;
}

bool Run::train_epoch(data::Loader& loader) {
  const auto epoch_start = Clock::now();
  const double seconds_before = progress_.seconds;
  const std::int64_t images_before = progress_.seen;
  loader.start_epoch(progress_.epoch);
  data::Batch batch;
  auto step_start = Clock::now();
  while (loader.next(batch)) {
    if (batch.index < progress_.step) continue;  // resuming mid-epoch: already trained
    std::int64_t correct = 0, n = 0;
    double loss_value = 0;
    if (!train_step(batch, correct, n, loss_value)) {
      stop(TrainOutcome::diverged,
           "loss is " + std::string(std::isnan(loss_value) ? "NaN" : "infinite") + " at epoch " +
               std::to_string(progress_.epoch + 1) + " step " + std::to_string(batch.index + 1) +
               " (lr " + std::to_string(opt_->lr()) + "); the last good checkpoint in " +
               out_.string() + " is kept");
      return false;
    }
    if (const std::string bad = first_nonfinite_tensor(*model_); !bad.empty()) {
      stop(TrainOutcome::diverged,
           "weight '" + bad + "' is NaN or infinite after the step at epoch " +
               std::to_string(progress_.epoch + 1) + " step " + std::to_string(batch.index + 1) +
               " (lr " + std::to_string(opt_->lr()) + "); the last good checkpoint in " +
               out_.string() + " is kept");
      return false;
    }
    progress_.loss_sum += loss_value * n;
    progress_.correct += correct;
    progress_.seen += n;
    progress_.step = batch.index + 1;
    step_log_->add(progress_.epoch * steps_per_epoch_ + batch.index, loss_value, correct, n,
                   opt_->lr(), seconds_since(step_start));
    step_start = Clock::now();
    const double elapsed = seconds_before + seconds_since(epoch_start);
    const double img_per_s =
        (progress_.seen - images_before) / std::max(1e-9, seconds_since(epoch_start));
    const double eta =
        (steps_per_epoch_ - progress_.step) * elapsed / std::max<std::int64_t>(1, progress_.step);
    show_progress(batch.index, progress_.loss_sum / progress_.seen,
                  static_cast<double>(progress_.correct) / progress_.seen, img_per_s, eta,
                  progress_.step == steps_per_epoch_);
    ++steps_this_run_;
    ++steps_this_epoch_;
    if (stop_agreed_ || steps_this_run_ == c_.stop_after_steps) {
      progress_.seconds = elapsed;
      save_checkpoint("last");
      stop(TrainOutcome::interrupted,
           "interrupted at epoch " + std::to_string(progress_.epoch + 1) + " step " +
               std::to_string(progress_.step) + "; saved " + (out_ / "last.*").string() +
               ", continue with --resume " + out_.string());
      return false;
    }
  }
  progress_.seconds = seconds_before + seconds_since(epoch_start);
  return true;
}

void Run::stop(TrainOutcome outcome, const std::string& message) {
  if (tty_) std::printf("\n");
  summary_.outcome = outcome;
  summary_.message = message;
}

bool Run::finish_epoch() {
  // Without sync_bn each rank's running statistics saw only its own batches: rank 0's are
  // kept, as DistributedDataParallel's buffer broadcast keeps them.
  broadcast_module_state(*model_, group_);
  const EvalResult ev =
      evaluate_sharded(*model_, test_, test_aug_, c_.batch_size, device_, group_, loading_);
  skipped_.insert(ev.skipped_files.begin(), ev.skipped_files.end());
  if (const std::string problem = ev.nonfinite_problem(); !problem.empty()) {
    stop(TrainOutcome::diverged,
         "evaluation after epoch " + std::to_string(progress_.epoch + 1) + " is not finite (" +
             problem + "); the last good checkpoint in " + out_.string() + " is kept");
    return false;
  }
  const double train_seconds = progress_.seconds;
  // From the schedule, not the optimizer: a run resumed after the epoch's last step has
  // not set the optimizer's rate yet.
  const double last_lr = schedule_->lr_at((progress_.epoch + 1) * steps_per_epoch_ - 1);
  nlohmann::json m = {{"epoch", progress_.epoch + 1},
                      {"train_loss", progress_.loss_sum / progress_.seen},
                      {"train_acc", static_cast<double>(progress_.correct) / progress_.seen},
                      {"test_loss", ev.loss},
                      {"test_acc", ev.top1},
                      {"test_top5", ev.top5},
                      {"lr", last_lr},
                      {"seconds", train_seconds},
                      {"images_per_second", progress_.seen / std::max(1e-9, train_seconds)}};
  if (reducer_) {
    m["allreduce_exposed_seconds_per_step"] =
        reducer_->exposed_seconds() / std::max<std::int64_t>(1, steps_this_epoch_);
    reducer_->reset_exposed_seconds();
  }
  steps_this_epoch_ = 0;
  if (root())
    std::printf(
        "epoch %lld/%lld: train loss %.4f acc %.2f%% | test loss %.4f acc %.2f%% top5 "
        "%.2f%% | %.1f s, %.1f img/s\n",
        static_cast<long long>(progress_.epoch + 1), static_cast<long long>(c_.epochs),
        m["train_loss"].get<double>(), 100 * m["train_acc"].get<double>(), ev.loss, 100 * ev.top1,
        100 * ev.top5, train_seconds, m["images_per_second"].get<double>());
  std::fflush(stdout);
  progress_.metrics.push_back(m);
  progress_ =
      Progress{progress_.epoch + 1, 0, 0, 0, 0, 0, progress_.best_test_acc, progress_.metrics};
  const bool best = ev.top1 > progress_.best_test_acc;
  if (best) progress_.best_test_acc = ev.top1;
  // The best checkpoint before the last: a crash in between resumes from the previous
  // epoch, whose rerun saves this best again; the other order would resume past an epoch
  // whose best was never saved.
  if (best) {
    save_best_eval(ev);
    save_checkpoint("best");
  }
  save_checkpoint("last");
  write_reports();
  return true;
}

void Run::save_best_eval(const EvalResult& ev) {
  if (!root()) return;
  const nlohmann::json j = {{"epoch", progress_.epoch},
                            {"test_acc", ev.top1},
                            {"test_loss", ev.loss},
                            {"classes", ev.classes},
                            {"class_names", train_.class_names},
                            {"confusion", ev.confusion},
                            {"per_class_accuracy", ev.per_class_accuracy()}};
  write_text_atomic(out_ / "best_eval.json", j.dump() + "\n");
}

TrainSummary Run::summarise() {
  // From the metrics, so that resuming a run that had already finished reports it too.
  if (!progress_.metrics.empty())
    summary_.last_test_acc = progress_.metrics.back()["test_acc"].get<double>();
  summary_.epochs_done = progress_.epoch;
  summary_.best_test_acc = progress_.best_test_acc;
  if (!skipped_.empty())
    std::printf("skipped %zu files that are not valid images (--skip-bad-images), first: %s\n",
                skipped_.size(), skipped_.begin()->c_str());
  return summary_;
}

}  // namespace

void request_stop() { stop_requested = true; }

TrainSummary train(const TrainConfig& config, bool resume) {
  const auto one = dist::single_process_group();
  return train(config, resume, *one);
}

TrainSummary train(const TrainConfig& config, bool resume, dist::ProcessGroup& group) {
  // Cleared here rather than once training starts, so a Ctrl-C while the data loads counts.
  stop_requested = false;
  config.validate();
  Run run(config, group);
  return run.execute(resume);
}

}  // namespace hs::tools
