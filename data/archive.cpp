#include "data/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <memory>

#include "core/atomic_file.h"
#include "core/error.h"

namespace hs::data {

namespace {

namespace fs = std::filesystem;

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

// The entry's path below the destination, or an error for one that would escape it.
fs::path safe_relative(const char* name, const std::string& archive_path) {
  HS_CHECK(name != nullptr && *name != '\0', "unpack: ", archive_path, ": entry without a name");
  const fs::path path(name);
  HS_CHECK(path.is_relative(), "unpack: ", archive_path, ": refusing absolute entry '", name, "'");
  for (const fs::path& part : path)
    HS_CHECK(part != "..", "unpack: ", archive_path, ": refusing entry '", name,
             "' that leaves the destination");
  return path.lexically_normal();
}

void copy_entry_data(struct archive* in, AtomicFile& out, const std::string& archive_path,
                     const char* name) {
  for (;;) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    const int r = archive_read_data_block(in, &block, &size, &offset);
    if (r == ARCHIVE_EOF) return;
    HS_CHECK(r == ARCHIVE_OK, "unpack: ", archive_path, ": cannot read entry '", name,
             "': ", archive_error_string(in));
    out.write(block, size);
  }
}

void make_folders(const fs::path& path, const std::string& archive_path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  HS_CHECK(!ec, "unpack: ", archive_path, ": cannot create folder ", path.string(), ": ",
           ec.message());
}

}  // namespace

void unpack_archive(const std::string& archive_path, const std::string& dest_dir) {
  ArchivePtr in(archive_read_new(), archive_read_free);
  HS_CHECK(in != nullptr, "unpack: cannot allocate a libarchive reader");
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  HS_CHECK(archive_read_open_filename(in.get(), archive_path.c_str(), 1 << 16) == ARCHIVE_OK,
           "unpack: cannot open ", archive_path, ": ", archive_error_string(in.get()));
  for (;;) {
    struct archive_entry* entry = nullptr;
    const int r = archive_read_next_header(in.get(), &entry);
    if (r == ARCHIVE_EOF) return;
    HS_CHECK(r == ARCHIVE_OK, "unpack: ", archive_path,
             " is corrupt or truncated: ", archive_error_string(in.get()));
    const char* name = archive_entry_pathname(entry);
    const fs::path target = fs::path(dest_dir) / safe_relative(name, archive_path);
    const auto type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      make_folders(target, archive_path);
      continue;
    }
    HS_CHECK(type == AE_IFREG, "unpack: ", archive_path, ": refusing entry '", name,
             "' that is neither a file nor a folder");
    make_folders(target.parent_path(), archive_path);
    AtomicFile out(target.string());
    copy_entry_data(in.get(), out, archive_path, name);
    out.commit();
  }
}

}  // namespace hs::data
