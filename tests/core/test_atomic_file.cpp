// The one write path: whole-file replacement, appended logs, and the fault hook that the
// crash and full-disk tests build on.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util/temp_dir.h"

namespace fs = std::filesystem;
using Catch::Matchers::Contains;

using hs::test::TempDir;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Installs a hook for the scope of a test and removes it afterwards.
struct ScopedHook {
  explicit ScopedHook(hs::testing::FaultHook hook) { hs::testing::set_fault_hook(std::move(hook)); }
  ~ScopedHook() { hs::testing::set_fault_hook({}); }
};

// Forks a process that writes 1000 bytes to `path` through write_file_atomic and stops
// (SIGSTOP, the pause hook) half-way through; returns its pid once it has stopped.
pid_t paused_writer(const std::string& path) {
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string name = std::filesystem::path(path).filename().string();
    ::setenv(hs::testing::kFaultEnvironmentVariable, ("pause:write:" + name).c_str(), 1);
    try {
      hs::write_file_atomic(path, std::string(1000, 'n'));
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, WUNTRACED) == child);
  REQUIRE(WIFSTOPPED(status));
  return child;
}

}  // namespace

TEST_CASE("write_file_atomic creates and replaces a file and leaves no temporary",
          "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  const std::string path = dir.file("a.txt");
  hs::write_file_atomic(path, "first");
  CHECK(read_all(path) == "first");
  hs::write_file_atomic(path, std::string(100000, 'x'));
  CHECK(read_all(path) == std::string(100000, 'x'));
  hs::write_file_atomic(path, "");
  CHECK(read_all(path).empty());
  CHECK(dir.listing() == std::set<std::string>{"a.txt"});
}

TEST_CASE("an injected failure at any stage leaves the old file and no temporary",
          "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  const std::string path = dir.file("state.json");
  hs::write_file_atomic(path, "old contents");
  for (const hs::WriteStage stage : {hs::WriteStage::open, hs::WriteStage::write,
                                     hs::WriteStage::fsync, hs::WriteStage::rename}) {
    INFO("stage " << hs::write_stage_name(stage));
    ScopedHook hook([stage](hs::WriteStage s, const std::string&) {
      return s == stage ? hs::testing::FaultAction::fail : hs::testing::FaultAction::proceed;
    });
    const std::string reason = stage == hs::WriteStage::write  ? "No space left on device"
                               : stage == hs::WriteStage::open ? "Permission denied"
                                                               : "Input/output error";
    CHECK_THROWS_AS(hs::write_file_atomic(path, "new contents"), hs::Error);
    CHECK_THROWS_WITH(hs::write_file_atomic(path, "new contents"),
                      Contains(path) && Contains(reason));
    CHECK(read_all(path) == "old contents");
    CHECK(dir.listing() == std::set<std::string>{"state.json"});
  }
  // A folder sync failure comes after the rename: the new file is in place and the error says
  // its durability is in doubt.
  ScopedHook hook([](hs::WriteStage s, const std::string&) {
    return s == hs::WriteStage::sync_dir ? hs::testing::FaultAction::fail
                                         : hs::testing::FaultAction::proceed;
  });
  CHECK_THROWS_WITH(hs::write_file_atomic(path, "new"), Contains("cannot sync folder"));
  CHECK(read_all(path) == "new");
}

TEST_CASE("real OS errors name the file and the reason", "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  CHECK_THROWS_WITH(hs::write_file_atomic(dir.file("missing/x.txt"), "x"),
                    Contains("missing/x.txt") && Contains("No such file or directory"));
  fs::create_directory(dir.file("target"));
  CHECK_THROWS_WITH(hs::write_file_atomic(dir.file("target"), "x"),
                    Contains("cannot rename") && Contains("target"));
  CHECK(fs::is_directory(dir.file("target")));
  CHECK(dir.listing() == std::set<std::string>{"target"});

  SECTION("a full disk (RLIMIT_FSIZE)") {
    const std::string path = dir.file("big.bin");
    hs::write_file_atomic(path, "small");
    rlimit saved{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lowered = saved;
    lowered.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
    CHECK_THROWS_WITH(hs::write_file_atomic(path, std::string(10000, 'y')),
                      Contains(path) && Contains("File too large"));
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, old_handler);
    CHECK(read_all(path) == "small");
    CHECK(dir.listing() == std::set<std::string>{"big.bin", "target"});
  }
}

TEST_CASE("append_record appends lines; a torn last line is dropped and cut off",
          "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  const std::string path = dir.file("log.jsonl");
  hs::append_record(path, "{\"step\":1}");
  hs::append_record(path, "{\"step\":2}");
  CHECK(hs::read_records(path) == std::vector<std::string>{"{\"step\":1}", "{\"step\":2}"});

  // What a crash in the middle of an append leaves: a line without its newline.
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << "{\"st";
  }
  CHECK(hs::read_records(path) == std::vector<std::string>{"{\"step\":1}", "{\"step\":2}"});
  hs::append_record(path, "{\"step\":3}");
  CHECK(read_all(path) == "{\"step\":1}\n{\"step\":2}\n{\"step\":3}\n");

  CHECK_THROWS_WITH(hs::append_record(path, "two\nlines"), Contains("one line"));
  CHECK_THROWS_WITH(hs::read_records(dir.file("none.jsonl")), Contains("none.jsonl"));
  {
    ScopedHook hook([](hs::WriteStage s, const std::string&) {
      return s == hs::WriteStage::write ? hs::testing::FaultAction::fail
                                        : hs::testing::FaultAction::proceed;
    });
    CHECK_THROWS_WITH(hs::append_record(path, "{\"step\":4}"),
                      Contains(path) && Contains("No space left on device"));
  }
  // The failed append left half a line; readers and the next append ignore it.
  CHECK(hs::read_records(path).size() == 3);
  hs::append_record(path, "{\"step\":4}");
  CHECK(hs::read_records(path).back() == "{\"step\":4}");
  CHECK(hs::read_records(path).size() == 4);
}

TEST_CASE("a pause hook stops the process inside the write, leaving the old file",
          "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  const std::string path = dir.file("weights.bin");
  hs::write_file_atomic(path, "old");
  const pid_t child = paused_writer(path);
  int status = 0;
  // Stopped with half the bytes in the temporary: the target is still the old file.
  CHECK(read_all(path) == "old");
  const std::string temp = path + ".tmp-" + std::to_string(child);
  CHECK(read_all(temp) == std::string(500, 'n'));
  ::kill(child, SIGKILL);
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(read_all(path) == "old");
}

TEST_CASE("the temporaries of killed writers are removed, a live writer's kept",
          "[core][atomic_file]") {
  TempDir dir("hsnet-atomic-test");
  const pid_t killed = paused_writer(dir.file("last.json"));
  ::kill(killed, SIGKILL);
  int status = 0;
  REQUIRE(::waitpid(killed, &status, 0) == killed);
  const pid_t alive = paused_writer(dir.file("metrics.jsonl"));
  const std::string stale = "last.json.tmp-" + std::to_string(killed);
  const std::string live = "metrics.jsonl.tmp-" + std::to_string(alive);
  REQUIRE(fs::exists(dir.file(stale)));
  REQUIRE(fs::exists(dir.file(live)));
  // Names that only look like temporaries stay.
  for (const char* other : {"notes.tmp-", "notes.tmp-12ab", ".tmp-1"})
    hs::write_file_atomic(dir.file(other), "keep");

  const std::vector<std::string> removed = hs::remove_stale_temporaries(dir.path().string());
  CHECK(removed == std::vector<std::string>{stale});
  CHECK_FALSE(fs::exists(dir.file(stale)));
  CHECK(fs::exists(dir.file(live)));
  for (const char* other : {"notes.tmp-", "notes.tmp-12ab", ".tmp-1"})
    CHECK(read_all(dir.file(other)) == "keep");
  ::kill(alive, SIGKILL);
  REQUIRE(::waitpid(alive, &status, 0) == alive);
  // Once its writer is gone, the second one is stale too; a missing folder removes nothing.
  CHECK(hs::remove_stale_temporaries(dir.path().string()) == std::vector<std::string>{live});
  CHECK(hs::remove_stale_temporaries(dir.file("absent")).empty());
}
