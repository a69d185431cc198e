#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"

namespace hs {
namespace {

std::string reason(int err) { return std::strerror(err); }

std::mutex hook_mutex;
testing::FaultHook fault_hook;

// The HSNET_TEST_WRITE_FAULT rule, parsed once.
struct EnvironmentFault {
  bool active = false;
  testing::FaultAction action = testing::FaultAction::proceed;
  std::string stage, substring;
  int occurrence = 1;
  int seen = 0;
};

EnvironmentFault parse_environment_fault() {
  EnvironmentFault f;
  const char* text = std::getenv(testing::kFaultEnvironmentVariable);
  if (text == nullptr || *text == '\0') return f;
  std::vector<std::string> parts;
  std::string part;
  for (const char* p = text;; ++p) {
    if (*p == ':' || *p == '\0') {
      parts.push_back(part);
      part.clear();
      if (*p == '\0') break;
    } else {
      part += *p;
    }
  }
  HS_CHECK(parts.size() == 3 || parts.size() == 4, testing::kFaultEnvironmentVariable, "='", text,
           "' is not ACTION:STAGE:SUBSTRING[:N]");
  HS_CHECK(parts[0] == "fail" || parts[0] == "pause", testing::kFaultEnvironmentVariable,
           ": action '", parts[0], "' is neither fail nor pause");
  f.active = true;
  f.action = parts[0] == "fail" ? testing::FaultAction::fail : testing::FaultAction::pause;
  f.stage = parts[1];
  f.substring = parts[2];
  if (parts.size() == 4) f.occurrence = std::stoi(parts[3]);
  return f;
}

testing::FaultAction fault_at(WriteStage stage, const std::string& path) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  if (fault_hook) return fault_hook(stage, path);
  // Re-read when the variable changes (a forked test child sets it after the parent wrote).
  static std::string env_text;
  static EnvironmentFault env;
  const char* now = std::getenv(testing::kFaultEnvironmentVariable);
  if ((now ? now : "") != env_text) {
    env_text = now ? now : "";
    env = parse_environment_fault();
  }
  if (!env.active || env.stage != write_stage_name(stage) ||
      path.find(env.substring) == std::string::npos)
    return testing::FaultAction::proceed;
  return ++env.seen == env.occurrence ? env.action : testing::FaultAction::proceed;
}

// Applies the hook's verdict for one stage: a pause stops the process here (SIGSTOP, for the
// test that waits for it to kill it); a failure returns the errno the stage reports: a full
// disk for a write, a read-only folder for an open (the one simulation that also works for
// root, who ignores permissions), an I/O error otherwise.
int injected_errno(WriteStage stage, const std::string& path) {
  switch (fault_at(stage, path)) {
    case testing::FaultAction::proceed:
      return 0;
    case testing::FaultAction::pause:
      ::raise(SIGSTOP);
      return 0;
    case testing::FaultAction::fail:
      if (stage == WriteStage::write) return ENOSPC;
      return stage == WriteStage::open ? EACCES : EIO;
  }
  return 0;
}

std::string folder_of(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

void write_all(int fd, const char* bytes, std::size_t size, const std::string& shown_path) {
  while (size > 0) {
    const ssize_t written = ::write(fd, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    const int err = errno;
    HS_CHECK(written > 0, "cannot write '", shown_path,
             "': ", written < 0 ? reason(err) : "no bytes written");
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

void sync_folder(const std::string& path) {
  const std::string dir = folder_of(path);
  int err = injected_errno(WriteStage::sync_dir, path);
  if (err == 0) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      err = errno;
    } else {
      if (::fsync(fd) != 0) err = errno;
      ::close(fd);
    }
  }
  // The new file is in place already; the error says its rename may not survive a power cut.
  HS_CHECK(err == 0, "cannot sync folder '", dir, "' after writing '", path, "': ", reason(err));
}

}  // namespace

const char* write_stage_name(WriteStage stage) {
  switch (stage) {
    case WriteStage::open:
      return "open";
    case WriteStage::write:
      return "write";
    case WriteStage::fsync:
      return "fsync";
    case WriteStage::rename:
      return "rename";
    case WriteStage::sync_dir:
      return "sync_dir";
  }
  return "?";
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), temp_path_(path_ + ".tmp-" + std::to_string(::getpid())) {
  int err = injected_errno(WriteStage::open, path_);
  if (err == 0) {
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0) err = errno;
  }
  HS_CHECK(err == 0, "cannot write '", path_, "' (creating '", temp_path_, "'): ", reason(err));
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFile::write(const void* data, std::size_t size) {
  HS_CHECK(fd_ >= 0 && !committed_, "cannot write '", path_, "': the file is already committed");
  const char* bytes = static_cast<const char*>(data);
  const std::size_t half = size / 2;
  write_all(fd_, bytes, half, temp_path_);
  // The hook sits in the middle so that a paused (then killed) write leaves a torn temporary.
  const int err = injected_errno(WriteStage::write, path_);
  HS_CHECK(err == 0, "cannot write '", temp_path_, "': ", reason(err));
  write_all(fd_, bytes + half, size - half, temp_path_);
}

void AtomicFile::commit() {
  HS_CHECK(fd_ >= 0 && !committed_, "cannot commit '", path_, "' twice");
  int err = injected_errno(WriteStage::fsync, path_);
  if (err == 0 && ::fsync(fd_) != 0) err = errno;
  HS_CHECK(err == 0, "cannot fsync '", temp_path_, "': ", reason(err));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) err = errno;
  HS_CHECK(err == 0, "cannot close '", temp_path_, "': ", reason(err));
  err = injected_errno(WriteStage::rename, path_);
  if (err == 0 && ::rename(temp_path_.c_str(), path_.c_str()) != 0) err = errno;
  HS_CHECK(err == 0, "cannot rename '", temp_path_, "' to '", path_, "': ", reason(err));
  committed_ = true;
  sync_folder(path_);
}

std::vector<std::string> remove_stale_temporaries(const std::string& folder) {
  std::vector<std::string> removed;
  std::error_code ec;
  std::filesystem::directory_iterator it(folder, ec);
  if (ec) return removed;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    const std::size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || at == 0 || at + 5 == name.size()) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    // ESRCH: no such process. EPERM means one runs (of another user): keep its file.
    if (pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH) continue;
    if (::unlink(entry.path().c_str()) == 0) removed.push_back(name);
  }
  return removed;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.write(bytes);
  file.commit();
}

void rename_durable(const std::string& from, const std::string& to) {
  int err = injected_errno(WriteStage::rename, to);
  if (err == 0 && ::rename(from.c_str(), to.c_str()) != 0) err = errno;
  HS_CHECK(err == 0, "cannot rename '", from, "' to '", to, "': ", reason(err));
  sync_folder(to);
}

void append_record(const std::string& path, std::string_view record) {
  HS_CHECK(record.find('\n') == std::string_view::npos, "cannot append to '", path,
           "': a record must be one line");
  int err = injected_errno(WriteStage::open, path);
  const bool existed = std::filesystem::exists(path);
  const int fd =
      err == 0 ? ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666) : -1;
  if (err == 0 && fd < 0) err = errno;
  HS_CHECK(err == 0, "cannot open '", path, "' to append: ", reason(err));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};

  // Cut a torn last line (a crash during an earlier append) back to the last newline.
  struct stat info {};
  HS_CHECK(::fstat(fd, &info) == 0, "cannot examine '", path, "': ", reason(errno));
  off_t keep = info.st_size;
  char byte = '\n';
  while (keep > 0 && ::pread(fd, &byte, 1, keep - 1) == 1 && byte != '\n') --keep;
  if (keep != info.st_size)
    HS_CHECK(::ftruncate(fd, keep) == 0, "cannot cut the torn last line of '", path,
             "': ", reason(errno));

  std::string line(record);
  line += '\n';
  // O_APPEND keeps the line in one piece at the end; a crash can only cut it short.
  const std::size_t half = line.size() / 2;
  write_all(fd, line.data(), half, path);
  err = injected_errno(WriteStage::write, path);
  HS_CHECK(err == 0, "cannot write '", path, "': ", reason(err));
  write_all(fd, line.data() + half, line.size() - half, path);
  err = injected_errno(WriteStage::fsync, path);
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  HS_CHECK(err == 0, "cannot fsync '", path, "': ", reason(err));
  if (!existed) sync_folder(path);
}

std::vector<std::string> read_records(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  HS_CHECK(fd >= 0, "cannot read '", path, "': ", reason(errno));
  std::string text;
  char buffer[65536];
  ssize_t got = 0;
  while ((got = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (got < 0 && errno == EINTR) continue;
    const int err = errno;
    if (got < 0) {
      ::close(fd);
      HS_FAIL("cannot read '", path, "': ", reason(err));
    }
    text.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(text.substr(start, end - start));
  return lines;
}

namespace testing {

void set_fault_hook(FaultHook hook) {
  std::lock_guard<std::mutex> lock(hook_mutex);
  fault_hook = std::move(hook);
}

}  // namespace testing

}  // namespace hs
