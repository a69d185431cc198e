// hsnet sweep: the trials of a sweep spec (configs/sweeps/*.json), each gradient-checked,
// measured and trained, with OUT/results.{csv,jsonl} and OUT/report.{html,md}. Exit status
// 0 when every trial has its row, 130 when stopped by Ctrl-C (run it again to continue).
#include <csignal>

#include "tools/commands.h"
#include "tools/sweep.h"

namespace hs::tools {

namespace {
void on_sigint(int) { request_sweep_stop(); }
}  // namespace

Command add_sweep(CLI::App& app) {
  auto o = std::make_shared<SweepOptions>();
  app.add_option("--config", o->spec_path, "sweep spec (configs/sweeps/*.json)")->required();
  app.add_option("--out", o->out, "output folder (default: the spec's \"out\")");
  app.add_option("--workers", o->workers, "trials run at once, as separate processes")
      ->capture_default_str();
  app.add_option("--threads", o->threads, "CPU threads in all, divided between the workers");
  app.add_option("--device", o->device, "cpu | cuda")->capture_default_str();
  app.add_option("--trial", o->trial, "run only this trial (how a worker process is started)");
  return [o]() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    const int status = run_sweep(*o);
    signal(SIGINT, SIG_DFL);
    return status;
  };
}

}  // namespace hs::tools
