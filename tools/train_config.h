#pragma once
// TrainConfig: every option of a training run, read from a JSON config file and command-line
// overrides, validated, and written back in full to OUT/config.json. Unknown keys and
// out-of-range values are hs::Errors naming the key.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hs::tools {

struct TrainConfig {
  std::string model = "hs_resnet29_cifar";
  nlohmann::json model_options = nlohmann::json::object();  // registry options (s, w0, ratio, ...)
  std::string dataset = "fashion-mnist";
  std::string data;  // directory; empty: the dataset's default location
  std::int64_t epochs = 10;
  std::int64_t batch_size = 128;
  std::string optimizer = "sgd";  // sgd | adamw
  double lr = 0.1;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-4;
  bool no_decay_bn_bias = false;
  std::string schedule = "cosine";       // constant | multistep | cosine
  double warmup_epochs = 0;              // may be fractional: rounded to whole steps
  std::vector<std::int64_t> milestones;  // multistep, in epochs
  double gamma = 0.1;
  double label_smoothing = 0.0;
  std::int64_t crop_padding = -1;  // random-crop padding; -1: 4 for 32x32 data, 2 for 28x28
  bool flip = true;                // random horizontal flip
  std::uint64_t seed = 0;
  std::int64_t threads = 0;         // 0: all cores
  std::int64_t loader_threads = 2;  // image folders: threads decoding each batch's files
  bool skip_bad_images = false;     // image folders: leave out (and count) undecodable files
  std::string device = "cpu";
  std::string out = "runs/latest";
  std::int64_t limit_train = 0;  // 0: whole split
  std::int64_t limit_test = 0;
  // Data-parallel runs (--distributed): batch_size is per rank; the number of ranks the run
  // was trained on (a resumed run must use as many); batch-norm statistics over all ranks'
  // batches instead of each rank's own; the size of the gradient buckets all-reduced while
  // backward runs.
  std::int64_t ranks = 1;
  bool sync_bn = false;
  double bucket_mb = 25;
  // Stop as Ctrl-C does (checkpoint saved, outcome interrupted) after this many steps of
  // this invocation; 0: never. For tests and scripted runs. Read from JSON but not written
  // by to_json (so not into OUT/config.json): a resumed run does not stop again.
  std::int64_t stop_after_steps = 0;

  static TrainConfig from_json(const nlohmann::json& j);
  nlohmann::json to_json() const;
  // Checks ranges and names; an hs::Error naming the key otherwise.
  void validate() const;
};

}  // namespace hs::tools
