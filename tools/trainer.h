#pragma once
// Trainer: one training run as `hsnet train` performs it — data, model, optimizer and
// schedule from a TrainConfig; per-epoch evaluation; OUT/config.json, OUT/metrics.jsonl,
// OUT/steps.jsonl (per-step loss, accuracy, lr, images/s), OUT/best_eval.json (the best
// epoch's confusion matrix), OUT/curves.svg and the checkpoints OUT/{last,best}.safetensors
// (weights, self-describing), OUT/{last,best}.optim.safetensors (optimizer state) and
// OUT/{last,best}.json (progress); exact resumption from OUT/last.* (weights and optimizer are
// staged as last.next.* until last.json commits them, so a crash at any point resumes); Ctrl-C
// saves and stops; a NaN/Inf loss, weight or evaluation stops with the last good checkpoint and
// best.* untouched.
#include <cstdint>
#include <filesystem>
#include <string>

#include "dist/process_group.h"
#include "tools/train_config.h"

namespace hs::tools {

enum class TrainOutcome { finished, interrupted, diverged };

struct TrainSummary {
  TrainOutcome outcome = TrainOutcome::finished;
  std::int64_t epochs_done = 0;
  double best_test_acc = 0, last_test_acc = 0;
  std::string message;  // for interrupted and diverged runs
};

// Runs (or, with resume, continues) the training described by `config`.
TrainSummary train(const TrainConfig& config, bool resume);
// The same as one rank of a data-parallel run over `group` (tools/distributed.h): every
// rank calls it; rank 0 alone prints and writes.
TrainSummary train(const TrainConfig& config, bool resume, dist::ProcessGroup& group);

// Checks the text of a run's OUT/last.json as resuming reads it (JSON, the progress fields
// with their types and ranges, one metrics entry per completed epoch); an hs::Error naming
// `name` otherwise.
void check_resume_state(const std::string& text, const std::string& name);

// Asks a running train() to save a checkpoint and stop after the current step (what the
// SIGINT handler calls; async-signal-safe).
void request_stop();

// Writes `text` to `path` through a temporary file in the same folder renamed into place, so
// a reader never sees half a file.
void write_text_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace hs::tools
