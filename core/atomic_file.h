#pragma once
// The one way hsnet writes files. AtomicFile replaces a file as a whole: the bytes go to a
// temporary file in the same folder, which is fsynced, renamed over the target and followed
// by an fsync of the folder, so a reader (or a crash, or a power cut) sees the old file or
// the new one, never a mixture; on failure the old file is untouched and no temporary is
// left. append_record adds one line to a log with O_APPEND + fsync; a crash can leave at
// most a torn last line, which read_records drops and the next append_record cuts off.
// Appends rather than rewrites because per-step logs grow with the run: rewriting them
// would make a run's I/O quadratic. Errors are hs::Error naming the file and the OS reason.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hs {

// Where a write can fail; the stages a test hook can see.
enum class WriteStage { open, write, fsync, rename, sync_dir };

const char* write_stage_name(WriteStage stage);

// A file being written: created as a temporary next to `path` on construction, put in place
// by commit(). Destroyed without commit (an exception on the way), it removes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(const void* data, std::size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // fsync, close, rename over the target, fsync of the folder. Call at most once.
  void commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_, temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

// Replaces `path` with `bytes` through an AtomicFile.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Renames `from` over `to` and fsyncs the folder (the rename survives a power cut).
void rename_durable(const std::string& from, const std::string& to);

// Removes the temporaries that writers killed mid-write (SIGKILL, a power cut) left in
// `folder`: files named NAME.tmp-PID whose process PID no longer runs. A temporary of a live
// process (another writer in the same folder) is kept. Returns the names removed; a missing
// folder removes nothing.
std::vector<std::string> remove_stale_temporaries(const std::string& folder);

// Appends `record` (one line; must not contain '\n') and a newline to `path`, creating it if
// needed, and fsyncs. A torn last line left by an earlier crash is cut off first.
void append_record(const std::string& path, std::string_view record);

// The complete lines of a log written by append_record, without newlines; a last line
// without its newline (torn by a crash) is dropped. A missing file is an hs::Error.
std::vector<std::string> read_records(const std::string& path);

namespace testing {

// What a fault hook returns for one stage of one file's write.
enum class FaultAction { proceed, fail, pause };

// Called before each stage of every write with the target's path. `fail` makes the stage
// fail as the OS would (ENOSPC for write, EACCES for open as in a read-only folder, EIO
// otherwise); `pause` stops the process with
// SIGSTOP (for a parent to kill it there) — during `write`, after half the bytes. Tests only;
// an empty function removes the hook.
using FaultHook = std::function<FaultAction(WriteStage stage, const std::string& path)>;
void set_fault_hook(FaultHook hook);

// Without a hook set, HSNET_TEST_WRITE_FAULT="ACTION:STAGE:SUBSTRING[:N]" (ACTION fail or
// pause, STAGE as write_stage_name) acts at the N-th (default 1st) time STAGE is reached for a
// path containing SUBSTRING, so tests can inject faults into the hsnet executable.
inline constexpr const char* kFaultEnvironmentVariable = "HSNET_TEST_WRITE_FAULT";

}  // namespace testing

}  // namespace hs
