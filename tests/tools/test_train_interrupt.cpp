// Ctrl-C: a stop request makes train() save last.* after the current step and return
// TrainOutcome::interrupted, leaving a complete checkpoint that resumes; `hsnet train`
// exits with status 130 on SIGINT.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "nn/safetensors.h"
#include "nn/sgd.h"
#include "tools/model_io.h"
#include "tools/trainer.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;

namespace {

// The checkpoint in `out` is complete and consistent: every file parses, the three files
// carry the same progress tag, and the weights rebuild their model.
void require_complete_checkpoint(const fs::path& out, const std::string& tag) {
  const nlohmann::json progress = read_json_file(out / "last.json");
  REQUIRE(std::to_string(progress["epoch"].get<std::int64_t>()) + ":" +
              std::to_string(progress["step"].get<std::int64_t>()) ==
          tag);
  REQUIRE(nn::read_safetensors((out / "last.safetensors").string()).metadata.at("progress") == tag);
  const nn::SafetensorsFile optim = nn::read_safetensors((out / "last.optim.safetensors").string());
  REQUIRE(optim.metadata.at("progress") == tag);
  const tools::LoadedModel lm = tools::load_model((out / "last.safetensors").string());
  REQUIRE(lm.model->num_parameters() > 0);
  for (const auto& entry : fs::directory_iterator(out))
    REQUIRE(entry.path().filename().string().find(".tmp") == std::string::npos);
}

}  // namespace

TEST_CASE("train: an interrupted run saves a complete checkpoint and resumes from it",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.stop_after_steps = 2;
  const tools::TrainSummary s = tools::train(c, false);
  REQUIRE(s.outcome == tools::TrainOutcome::interrupted);
  REQUIRE(s.epochs_done == 0);
  REQUIRE_THAT(s.message, Catch::Contains("interrupted at epoch 1 step 2") &&
                              Catch::Contains("--resume " + (tmp / "run").string()));
  require_complete_checkpoint(tmp / "run", "0:2");
  // No epoch was completed: nothing is "best" yet and there is no metrics line.
  REQUIRE_FALSE(fs::exists(tmp / "run" / "best.safetensors"));
  REQUIRE_FALSE(fs::exists(tmp / "run" / "metrics.jsonl"));
  REQUIRE(read_json_file(tmp / "run" / "config.json") == c.to_json());

  c.stop_after_steps = 0;
  const tools::TrainSummary done = tools::train(c, true);
  REQUIRE(done.outcome == tools::TrainOutcome::finished);
  REQUIRE(done.epochs_done == 2);
  REQUIRE(read_metrics(tmp / "run").size() == 2);
  require_complete_checkpoint(tmp / "run", "2:0");
}

TEST_CASE("train: a stop requested while the data is still loading is honoured", "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  // The training images become a pipe: train() blocks reading it until the test writes the
  // bytes, so the stop request below lands, for sure, while the data loads.
  const fs::path images = tmp / "data" / "train-images-idx3-ubyte";
  const std::string bytes = read_text(images);
  fs::remove(images);
  REQUIRE(::mkfifo(images.c_str(), 0600) == 0);
  std::thread feeder([&] {
    std::ofstream pipe(images, std::ios::binary);  // opens once train() opens the other end
    tools::request_stop();
    pipe << bytes;
  });
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  const tools::TrainSummary s = tools::train(c, false);
  feeder.join();
  REQUIRE(s.outcome == tools::TrainOutcome::interrupted);
  REQUIRE_THAT(s.message, Catch::Contains("interrupted at epoch 1 step 1"));
  require_complete_checkpoint(tmp / "run", "0:1");
}

TEST_CASE("train: a stop request from an earlier run does not stop the next one",
          "[tools][train]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 8);
  tools::request_stop();
  tools::TrainConfig c = small_config(tmp / "data", tmp / "run");
  c.epochs = 1;
  REQUIRE(tools::train(c, false).outcome == tools::TrainOutcome::finished);
}

namespace {

// Runs `args` as a child process with stdout and stderr to `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  // Everything the child needs is prepared before fork(): between fork and exec a
  // multithreaded process may only make async-signal-safe calls (no allocation).
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string log_path = log.string();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ::_exit(126);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits up to `limit` for the child to end; kills it (and fails) if it does not.
int wait_for_exit(pid_t pid, std::chrono::seconds limit, const fs::path& log) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("hsnet did not exit in time; its output:\n" << read_text(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  INFO("hsnet output:\n" << read_text(log));
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("hsnet train: SIGINT exits with status 130 and leaves a resumable run",
          "[tools][train][process]") {
  const char* exe = std::getenv("HSNET_EXE");
  INFO("HSNET_EXE (set by meson test) must name the built hsnet executable");
  REQUIRE(exe != nullptr);
  REQUIRE(fs::exists(exe));
  TempDir tmp;
  write_texture_dataset(tmp / "data", 64, 32);
  const std::string out = (tmp / "run").string();
  const fs::path log = tmp / "train.log";
  // Far more epochs than the test waits for, so the signal always arrives mid-run.
  std::vector<std::string> args = small_train_args(tmp / "data", out, 1000);
  args.insert(args.begin(), exe);
  const pid_t pid = spawn(args, log);
  // Progress lines ("epoch 1/1000  step 1/4 ...") show that training has begun.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (true) {
    std::ifstream f(log);
    const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    if (text.find("step ") != std::string::npos) break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) FAIL("hsnet ended before training:\n" << text);
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("hsnet did not start training in time:\n" << text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(::kill(pid, SIGINT) == 0);
  REQUIRE(wait_for_exit(pid, std::chrono::seconds(60), log) == 130);
  REQUIRE_THAT(read_text(log),
               Catch::Contains("interrupted at epoch") && Catch::Contains("--resume " + out));

  const nlohmann::json progress = read_json_file(tmp / "run" / "last.json");
  const std::int64_t epoch = progress["epoch"], step = progress["step"];
  require_complete_checkpoint(tmp / "run", std::to_string(epoch) + ":" + std::to_string(step));

  // Resume, finishing the epoch it was in.
  const pid_t resumed = spawn(
      {exe, "train", "--resume", out, "--epochs", std::to_string(epoch + 1)}, tmp / "resume.log");
  REQUIRE(wait_for_exit(resumed, std::chrono::seconds(120), tmp / "resume.log") == 0);
  REQUIRE(read_metrics(tmp / "run").size() == static_cast<std::size_t>(epoch + 1));
  require_complete_checkpoint(tmp / "run", std::to_string(epoch + 1) + ":0");
}
