// hsnet sweep end to end on a tiny spec: every column of results.csv/jsonl, the reports and
// the trial folders; a re-run trains nothing; a trial that fails (missing data, NaN loss) is
// recorded with its message and the next one runs; `hsnet eval --html` of a trial's checkpoint; a
// sweep killed with SIGKILL mid-trial completes on a re-run with the rows of an uninterrupted
// sweep; --workers 2 gives the same rows as one process.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "cli_test_util.h"
#include "sweep_test_util.h"
#include "tools/sweep.h"

extern char** environ;

using namespace hs;
using namespace hs::test;

namespace {

int sweep(const fs::path& spec, const fs::path& out, std::int64_t workers = 1) {
  tools::SweepOptions o;
  o.spec_path = spec.string();
  o.out = out.string();
  o.threads = workers;
  o.workers = workers;
  return tools::run_sweep(o);
}

std::vector<std::string> csv_lines(const fs::path& path) {
  std::vector<std::string> lines;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  return lines;
}

const nlohmann::json kTwoTrials = {{"model_options.s", {2, 3}}};

}  // namespace

TEST_CASE("sweep: a tiny sweep end to end, and a re-run trains nothing") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  const fs::path spec = write_spec(tmp.path(), tmp / "data", kTwoTrials);
  REQUIRE(sweep(spec, tmp / "out") == 0);

  const std::vector<std::string> csv = csv_lines(tmp / "out/results.csv");
  REQUIRE(csv.size() == 3);
  CHECK(csv[0] ==
        "trial,model_options.s,seed,params,macs,gradcheck_max_error,gradcheck,train_img_per_s,"
        "infer_img_per_s,best_test_acc,final_test_acc,seconds,status");
  const std::vector<nlohmann::json> rows = tools::read_jsonl((tmp / "out/results.jsonl").string());
  REQUIRE(rows.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const nlohmann::json& r = rows[i];
    INFO(r.dump());
    CHECK(r["trial"] == (i == 0 ? "00-s2-seed3" : "01-s3-seed3"));
    CHECK(r["model_options.s"] == (i == 0 ? 2 : 3));
    CHECK(r["status"] == "done");
    CHECK(r["gradcheck"] == "PASS");
    CHECK(r["gradcheck_max_error"].get<double>() < 1e-5);
    CHECK(r["params"].get<std::int64_t>() > 0);
    CHECK(r["macs"].get<std::int64_t>() > r["params"].get<std::int64_t>());
    CHECK(r["train_img_per_s"].get<double>() > 0);
    CHECK(r["infer_img_per_s"].get<double>() > r["train_img_per_s"].get<double>() * 0.5);
    const double best = r["best_test_acc"], final = r["final_test_acc"];
    CHECK(best >= final);
    CHECK(final >= 0.0);
    CHECK(best <= 1.0);
    const fs::path trial = tmp / "out/trials" / r["trial"].get<std::string>();
    CHECK(read_metrics(trial).size() == 2);
    CHECK(tools::read_jsonl((trial / "steps.jsonl").string()).size() == 6);  // 3 steps x 2 epochs
    CHECK(fs::exists(trial / "report.html"));
  }
  CHECK(rows[1]["params"] != rows[0]["params"]);  // s changes the model
  const std::string html = read_text(tmp / "out/report.html");
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("01-s3-seed3") != std::string::npos);
  CHECK(html.find("Pareto") != std::string::npos);
  CHECK(html.find("http://") == html.find("http://www.w3.org/2000/svg"));  // no other URL
  CHECK(html.find("https://") == std::string::npos);
  const std::string md = read_text(tmp / "out/report.md");
  CHECK(md.find("| 00-s2-seed3 | 2 | 3 |") != std::string::npos);
  CHECK(md.find("## Best trials") != std::string::npos);

  // A trial's checkpoint evaluates like any run's, with the same confusion matrix in HTML.
  const fs::path best = tmp / "out/trials/01-s3-seed3/best.safetensors";
  const auto [eval_status, eval_output] =
      run_hsnet("eval --checkpoint " + best.string() + " --data " + (tmp / "data").string() +
                " --threads 1 --html " + (tmp / "eval.html").string());
  INFO(eval_output);
  REQUIRE(eval_status == 0);
  const std::string eval_html = read_text(tmp / "eval.html");
  CHECK(eval_html.find("confusion matrix") != std::string::npos);
  CHECK(eval_html.find("accuracy %") != std::string::npos);

  const auto stamp = fs::last_write_time(tmp / "out/trials/00-s2-seed3/last.safetensors");
  const std::string before = read_text(tmp / "out/results.jsonl");
  REQUIRE(sweep(spec, tmp / "out") == 0);
  CHECK(fs::last_write_time(tmp / "out/trials/00-s2-seed3/last.safetensors") == stamp);
  CHECK(read_text(tmp / "out/results.jsonl") == before);
}

TEST_CASE("sweep: a failing trial is recorded with its message and the next one runs") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  const nlohmann::json grids = {{{"data", {(tmp / "no-such-dir").string()}}},
                                {{"lr", {1e30, 0.05}}}};
  const fs::path spec = write_spec(tmp.path(), tmp / "data", grids);
  REQUIRE(sweep(spec, tmp / "out") == 0);
  const std::vector<nlohmann::json> rows = tools::read_jsonl((tmp / "out/results.jsonl").string());
  REQUIRE(rows.size() == 3);
  const std::string missing = rows[0]["status"];
  CHECK(missing.rfind("failed: ", 0) == 0);
  CHECK(missing.find("no-such-dir") != std::string::npos);
  const std::string diverged = rows[1]["status"];
  CHECK(diverged.rfind("failed: loss is", 0) == 0);
  CHECK(rows[2]["status"] == "done");
  CHECK(rows[2]["best_test_acc"].is_number());
  // Failed rows are final: a re-run does not retry them.
  REQUIRE(sweep(spec, tmp / "out") == 0);
  CHECK(tools::read_jsonl((tmp / "out/results.jsonl").string())[0]["status"] == missing);
}

TEST_CASE("sweep: SIGKILL mid-trial, then a re-run completes with the uninterrupted rows") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  const fs::path spec = write_spec(tmp.path(), tmp / "data", kTwoTrials, 4);
  REQUIRE(sweep(spec, tmp / "reference") == 0);

  const char* exe = std::getenv("HSNET_EXE");
  REQUIRE(exe != nullptr);
  std::vector<std::string> args = {exe,           "sweep", "--config",
                                   spec.string(), "--out", (tmp / "killed").string(),
                                   "--threads",   "1"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  REQUIRE(posix_spawn(&pid, exe, nullptr, nullptr, argv.data(), environ) == 0);
  // Killed once the first trial has a checkpoint but no result yet.
  const fs::path trial = tmp / "killed/trials/00-s2-seed3";
  bool caught = false;
  for (int i = 0; i < 6000 && !caught; ++i) {
    caught = fs::exists(trial / "last.json") && !fs::exists(trial / "result.json");
    if (!caught) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(caught);
  REQUIRE(WIFSIGNALED(status));
  CHECK(!fs::exists(trial / "result.json"));

  REQUIRE(sweep(spec, tmp / "killed") == 0);
  CHECK(rows_without_timing(tmp / "killed") == rows_without_timing(tmp / "reference"));
  CHECK(read_metrics(trial).size() == 4);
}

TEST_CASE("sweep: --workers 2 runs the trials as processes with the one-process rows") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 48, 32);
  const fs::path spec = write_spec(tmp.path(), tmp / "data", kTwoTrials);
  REQUIRE(sweep(spec, tmp / "one") == 0);
  // run_sweep spawns itself: the hsnet executable, not this test program.
  const auto [status, output] = run_hsnet("sweep --config " + spec.string() + " --out " +
                                          (tmp / "two").string() + " --workers 2 --threads 2");
  INFO(output);
  REQUIRE(status == 0);
  CHECK(rows_without_timing(tmp / "two") == rows_without_timing(tmp / "one"));
  CHECK(fs::exists(tmp / "two/trials/01-s3-seed3/log.txt"));
}
