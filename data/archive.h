#pragma once
// Unpacking of downloaded archives (tar, optionally gzip-compressed) with libarchive. Every
// file is written through core/atomic_file, so a full disk or a corrupt archive surfaces as
// an hs::Error and the caller's staging folder can simply be removed.
#include <string>

namespace hs::data {

// Extracts the regular files and folders of the archive at `archive_path` below `dest_dir`
// (an existing folder). Entries with an absolute path or a ".." component, links and device
// files are refused, so an archive cannot write outside `dest_dir`. A truncated or corrupt
// archive, or a failed write, is an hs::Error naming the archive and the entry.
void unpack_archive(const std::string& archive_path, const std::string& dest_dir);

}  // namespace hs::data
