// keel/upload/storage.hpp — where accepted uploads live (UPLOAD_DIR).
//
// Stored files get generated names (32 random hex digits); the client's name
// never touches the file system. A temp file written in the same directory
// becomes a stored file by rename(), after fsync of the file and then of the
// directory, so a crash leaves either no file or the whole file. Temp files
// (".upload-…", ".spool-…") left by a crash are swept by remove_stale_temporaries.
//
//   upload::Storage storage(settings.upload_dir);
//   if (auto error = storage.ensure_directory()) fail(*error);     // at start-up
//   auto name = storage.commit(parsed.file->file);                  // std::nullopt: 500
//   ... insert the row; if that fails: storage.remove(*name);
//   auto stored = storage.open(row.storage_name);                   // for a download
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/http/spooled_file.hpp"

namespace keel::upload {

// StoredFile is an open stored file (read-only) and its size. It closes the
// descriptor unless release()d (e.g. handed to http::Response::file). Move-only.
class StoredFile {
 public:
  StoredFile(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~StoredFile();
  StoredFile(StoredFile&& other) noexcept;
  StoredFile& operator=(StoredFile&& other) noexcept;
  StoredFile(const StoredFile&) = delete;
  StoredFile& operator=(const StoredFile&) = delete;

  int fd() const { return fd_; }
  std::uint64_t size() const { return size_; }
  // release gives the descriptor to the caller.
  int release();

 private:
  int fd_;
  std::uint64_t size_;
};

// Storage is one upload directory. Thread-safe (it holds only the path).
class Storage {
 public:
  explicit Storage(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }

  // ensure_directory creates the directory (mode 0700, parents too) when
  // missing; returns why it cannot be used, or std::nullopt.
  std::optional<std::string> ensure_directory() const;
  // commit moves `temp` (a file in dir()) to a new generated name, durably,
  // and releases it; std::nullopt when a step failed (temp is then still removed by its owner).
  std::optional<std::string> commit(http::SpooledFile& temp) const;
  // open opens a stored file for reading; std::nullopt for an invalid or missing name.
  std::optional<StoredFile> open(std::string_view name) const;
  // remove deletes a stored file; false when it did not exist or the name is invalid.
  bool remove(std::string_view name) const;
  // remove_stale_temporaries deletes temp files older than `age` (left by a
  // crash mid-upload); returns how many went.
  std::size_t remove_stale_temporaries(std::chrono::seconds age) const;

  // is_stored_name says whether `name` is a generated name (32 lower-case hex digits).
  static bool is_stored_name(std::string_view name);

 private:
  std::string path_of(std::string_view name) const { return dir_ + "/" + std::string(name); }

  std::string dir_;
};

}  // namespace keel::upload
