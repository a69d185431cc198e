#pragma once
// `hsnet sweep`: runs every trial of a spec (see sweep_spec.h, sweep_trial.h) and keeps
// OUT/results.{csv,jsonl}, OUT/report.{md,html} up to date after each. Trials that finished
// are skipped, an interrupted one resumes from its checkpoint; Ctrl-C stops after saving.
// With workers > 1 the trials run as `hsnet sweep --trial NAME` child processes, threads
// divided between them; under `mpirun -np K` rank 0 hands trials to the other ranks as they
// become free and writes the results.
#include <cstdint>
#include <string>

namespace hs::tools {

struct SweepOptions {
  std::string spec_path, out;  // out: empty for the spec's own
  std::int64_t workers = 1;
  std::int64_t threads = 0;  // in all; 0: every core
  std::string device = "cpu";
  std::string trial;  // run only this trial in this process (what a worker is given)
};

// Exit status: 0 when every trial has a final row, 130 when stopped by Ctrl-C.
int run_sweep(const SweepOptions& options);

// Asks a running sweep to stop after saving (what the SIGINT handler calls).
void request_sweep_stop();

}  // namespace hs::tools
