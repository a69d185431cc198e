// Crash consistency: hsnet train is killed with SIGKILL at many points, inside each file it
// writes included (the write helper's test hook stops the process there), and each time
// `hsnet train --resume` must work and end with the weights of an uninterrupted run.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>

#include "cli_test_util.h"
#include "core/atomic_file.h"
#include "train_test_util.h"

using namespace hs;
using namespace hs::test;
using Catch::Contains;

namespace {

// Runs hsnet with `args` and `fault` in HSNET_TEST_WRITE_FAULT, output discarded. Returns
// true when the process stopped at the fault (it is then killed with SIGKILL), false when it
// exited without reaching it.
bool run_until_paused(const std::vector<std::string>& args, const std::string& fault) {
  const char* exe = std::getenv("HSNET_EXE");
  REQUIRE(exe != nullptr);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::setenv(testing::kFaultEnvironmentVariable, fault.c_str(), 1);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv{const_cast<char*>(exe)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(exe, argv.data());
    ::_exit(127);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
  if (!WIFSTOPPED(status)) return false;
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  return true;
}

}  // namespace

TEST_CASE("hsnet train killed inside any write resumes to the uninterrupted weights",
          "[tools][crash]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 16);
  const auto [straight_status, straight_out] =
      run_hsnet(joined(small_train_args(tmp / "data", tmp / "straight")));
  INFO(straight_out);
  REQUIRE(straight_status == 0);
  const nn::StateDict reference =
      nn::read_safetensors((tmp / "straight" / "last.safetensors").string()).tensors;
  const nn::SafetensorsFile reference_best =
      nn::read_safetensors((tmp / "straight" / "best.safetensors").string());

  // ACTION:STAGE:FILE:N — the N-th time STAGE is reached for FILE.
  const std::vector<std::string> points = {
      "pause:write:config.json:1",
      "pause:write:last.next.safetensors:1",
      "pause:rename:last.optim.safetensors:1",
      "pause:write:last.json:1",
      "pause:sync_dir:last.json:1",
      "pause:write:best.next.safetensors:1",
      "pause:fsync:best.json:1",
      "pause:write:metrics.jsonl:1",
      "pause:rename:curves.svg:1",
      "pause:write:last.next.safetensors:2",
      "pause:rename:last.json:2",
      "pause:rename:last.safetensors:2",
      "pause:rename:last.optim.safetensors:2",
      "pause:write:metrics.jsonl:2",
  };
  int i = 0;
  for (const std::string& point : points) {
    INFO("killed at " << point);
    const fs::path out = tmp / ("run" + std::to_string(i++));
    const std::vector<std::string> args = small_train_args(tmp / "data", out);
    REQUIRE(run_until_paused(args, point));
    // Killed before the first checkpoint was complete, there is nothing to resume: the
    // run says so and a fresh start in the same folder works.
    const bool resumable = fs::exists(out / "last.json");
    const auto [status, text] =
        resumable ? run_hsnet("train --resume " + out.string()) : run_hsnet(joined(args));
    INFO(text);
    REQUIRE(status == 0);
    require_identical(nn::read_safetensors((out / "last.safetensors").string()).tensors, reference);
    // The best checkpoint is the uninterrupted run's, and the one its marker names.
    const nn::SafetensorsFile best = nn::read_safetensors((out / "best.safetensors").string());
    CHECK(best.metadata.at("progress") == reference_best.metadata.at("progress"));
    CHECK(read_json_file(out / "best.json")["epoch"] ==
          read_json_file(tmp / "straight" / "best.json")["epoch"]);
    require_identical(best.tensors, reference_best.tensors);
    // The torn temporary of the killed write is gone.
    for (const auto& entry : fs::directory_iterator(out))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
    if (!resumable) {
      const auto [again, again_text] = run_hsnet("train --resume " + out.string());
      CHECK(again == 0);
    }
  }
}

TEST_CASE(
    "a checkpoint write that fails (disk full, read-only folder) names the file and "
    "keeps the previous checkpoint",
    "[tools][crash]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 16);
  const fs::path out = tmp / "run";
  const auto [status1, out1] = run_hsnet(joined(small_train_args(tmp / "data", out, 1)));
  REQUIRE(status1 == 0);
  const std::string before = read_text(out / "last.safetensors");
  const std::string before_json = read_text(out / "last.json");

  for (const std::string fault : {"fail:write:last.next.safetensors:1", "fail:rename:last.json:1",
                                  "fail:fsync:last.next.optim.safetensors:1"}) {
    INFO(fault);
    const auto [status, text] =
        run_hsnet("train --resume " + out.string() + " --epochs 2",
                  std::string("env ") + testing::kFaultEnvironmentVariable + "=" + fault);
    CHECK(status == 2);
    CHECK_THAT(text, Contains((out / "last").string()) &&
                         (Contains("No space left on device") || Contains("Input/output error")));
    CHECK(read_text(out / "last.json") == before_json);
    CHECK(read_text(out / "last.safetensors") == before);
    for (const auto& entry : fs::directory_iterator(out))
      CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  // The previous checkpoint still resumes.
  const auto [status, text] = run_hsnet("train --resume " + out.string() + " --epochs 2");
  INFO(text);
  CHECK(status == 0);
}

TEST_CASE(
    "training into a read-only output folder stops with exit 2 naming the file and keeps the "
    "previous checkpoint",
    "[tools][crash]") {
  TempDir tmp;
  write_texture_dataset(tmp / "data", 32, 16);
  const fs::path out = tmp / "run";
  const auto [status1, out1] = run_hsnet(joined(small_train_args(tmp / "data", out, 1)));
  REQUIRE(status1 == 0);
  const std::string before = read_text(out / "last.safetensors");
  const std::string before_json = read_text(out / "last.json");

  fs::permissions(out, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                           fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);  // 0555
  // Root ignores the folder's mode; for root the write helper's hook makes the first file
  // opened in the folder fail with EACCES, as the mode does for everyone else.
  const std::string fault = ::geteuid() == 0
                                ? std::string("env ") + testing::kFaultEnvironmentVariable +
                                      "=fail:open:" + out.string() + "/:1"
                                : std::string();
  const auto [status, text] = run_hsnet("train --resume " + out.string() + " --epochs 2", fault);
  fs::permissions(out, fs::perms::owner_all, fs::perm_options::add);
  INFO(text);
  CHECK(status == 2);
  CHECK_THAT(text,
             Contains("cannot ") && Contains(out.string() + "/") && Contains("Permission denied"));
  CHECK(read_text(out / "last.json") == before_json);
  CHECK(read_text(out / "last.safetensors") == before);
  for (const auto& entry : fs::directory_iterator(out))
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  const auto [again, again_text] = run_hsnet("train --resume " + out.string() + " --epochs 2");
  CHECK(again == 0);
}
