#include "tools/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "core/atomic_file.h"
#include "core/error.h"
#include "tools/sweep_mpi.h"
#include "tools/sweep_results.h"
#include "tools/sweep_trial.h"
#include "tools/trainer.h"

extern char** environ;

namespace hs::tools {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::atomic<bool> sweep_stop{false};

// A trial folder left by another spec under the same name would mix two experiments in
// one table: refused before anything runs.
void check_trial_folders(const SweepSpec& spec) {
  for (const SweepTrial& t : spec.trials) {
    std::ifstream f(fs::path(t.config.out) / "config.json");
    if (!f.good()) continue;
    json stored = json::parse(f, nullptr, false);
    json wanted = t.config.to_json();
    for (json* j : {&stored, &wanted})
      if (j->is_object())
        for (const char* key : {"threads", "device", "epochs"}) j->erase(key);
    HS_CHECK(stored == wanted, "sweep: ", t.config.out,
             " holds a run of another config (the spec changed?); remove it or use another --out");
  }
}

void report_trial(const SweepSpec& spec, std::size_t i, const json& row) {
  std::printf("sweep: trial %zu/%zu %s: %s\n", i + 1, spec.trials.size(),
              spec.trials[i].name.c_str(), row.value("status", std::string("?")).c_str());
  std::fflush(stdout);
}

std::string self_executable() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  HS_CHECK(!ec, "sweep: cannot find the hsnet executable (/proc/self/exe): ", ec.message());
  return p.string();
}

// Starts `hsnet sweep --trial NAME` with its output in the trial's log.txt.
pid_t spawn_trial(const SweepOptions& o, const SweepTrial& t, std::int64_t threads) {
  fs::create_directories(t.config.out);
  const std::string exe = self_executable(), log = t.config.out + "/log.txt";
  std::vector<std::string> args = {exe,        "sweep", "--config",  o.spec_path,
                                   "--trial",  t.name,  "--threads", std::to_string(threads),
                                   "--device", o.device};
  if (!o.out.empty()) args.insert(args.end(), {"--out", o.out});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  HS_CHECK(rc == 0, "sweep: cannot start a worker process for ", t.name, " (error ", rc, ")");
  return pid;
}

// The row a worker left, or a failure naming how the process ended.
json row_of_worker(const SweepTrial& t, int status) {
  std::ifstream f(fs::path(t.config.out) / "result.json");
  json row = f.good() ? json::parse(f, nullptr, false) : json(nullptr);
  if (row.is_object() && row.contains("status")) return row;
  row = {{"trial", t.name}, {"seed", t.seed}};
  row["status"] = WIFSIGNALED(status)
                      ? "failed: worker killed by signal " + std::to_string(WTERMSIG(status))
                      : "failed: worker exited with status " + std::to_string(WEXITSTATUS(status));
  return row;
}

// Runs `pending` in up to `workers` child processes; false when stopped by Ctrl-C.
bool run_in_processes(const SweepOptions& o, const SweepSpec& spec,
                      const std::vector<std::size_t>& pending, std::int64_t threads,
                      std::vector<json>& rows) {
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  bool stopped = false;
  while (next < pending.size() || !running.empty()) {
    while (!stopped && !sweep_stop && next < pending.size() &&
           static_cast<std::int64_t>(running.size()) < o.workers) {
      const std::size_t i = pending[next++];
      running[spawn_trial(o, spec.trials[i], threads)] = i;
    }
    if (sweep_stop && !stopped) {
      stopped = true;
      for (const auto& [pid, i] : running) ::kill(pid, SIGINT);  // each saves and stops
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
      HS_CHECK(errno == EINTR, "sweep: waiting for the workers failed (errno ", errno, ")");
      continue;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const std::size_t i = it->second;
    running.erase(it);
    rows[i] = row_of_worker(spec.trials[i], status);
    report_trial(spec, i, rows[i]);
    write_sweep_results(spec, rows);
  }
  return !stopped && !sweep_stop;
}

}  // namespace

void request_sweep_stop() {
  sweep_stop = true;
  request_stop();
}

int run_sweep(const SweepOptions& o) {
  sweep_stop = false;
  HS_CHECK(o.workers >= 1, "sweep: --workers must be >= 1, got ", o.workers);
  HS_CHECK(o.threads >= 0, "sweep: --threads must be >= 0, got ", o.threads);
  const SweepSpec spec = SweepSpec::read(o.spec_path, o.out);
  const std::int64_t cores =
      o.threads > 0 ? o.threads : std::max<std::int64_t>(1, std::thread::hardware_concurrency());
  if (!o.trial.empty()) {  // a worker process: one trial, its row in its result.json
    for (const SweepTrial& t : spec.trials)
      if (t.name == o.trial)
        return run_trial(t, cores, o.device).end == TrialEnd::interrupted ? 130 : 0;
    HS_FAIL("sweep: the spec has no trial '", o.trial, "'");
  }
  const MpiWorld world = mpi_start();
  struct MpiGuard {
    ~MpiGuard() { mpi_stop(); }
  } guard;
  if (world.rank > 0) {
    mpi_serve([&](std::size_t i) { return run_trial(spec.trials[i], cores, o.device).row; });
    return 0;
  }
  check_trial_folders(spec);
  remove_stale_temporaries(spec.out);  // of a sweep killed while it wrote its tables
  std::vector<json> rows(spec.trials.size());
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < spec.trials.size(); ++i) {
    rows[i] = finished_row(spec.trials[i]);
    if (rows[i].is_null()) pending.push_back(i);
  }
  std::printf("sweep: %zu trials, %zu to run, in %s\n", spec.trials.size(), pending.size(),
              spec.out.c_str());
  std::fflush(stdout);
  write_sweep_results(spec, rows);
  if (world.size > 1) {
    mpi_coordinate(pending, [&](std::size_t i, const json& row) {
      rows[i] = row;
      report_trial(spec, i, row);
      write_sweep_results(spec, rows);
    });
    return 0;
  }
  if (o.workers > 1) {
    const std::int64_t threads = std::max<std::int64_t>(1, cores / o.workers);
    return run_in_processes(o, spec, pending, threads, rows) ? 0 : 130;
  }
  for (std::size_t i : pending) {
    const TrialResult r = run_trial(spec.trials[i], cores, o.device);
    rows[i] = r.row;
    report_trial(spec, i, rows[i]);
    write_sweep_results(spec, rows);
    if (r.end == TrialEnd::interrupted || sweep_stop) return 130;
  }
  return 0;
}

}  // namespace hs::tools
