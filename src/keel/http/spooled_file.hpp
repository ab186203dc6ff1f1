// keel/http/spooled_file.hpp — a temporary file that removes itself.
//
// The connection spools the body of a route marked streams_body_to_file()
// into one (Request::body_file), and the upload code writes an extracted
// part into another; either way the file disappears when its owner lets go,
// so a failed, aborted or rejected upload leaves nothing behind. Keeping it
// is explicit: move it into place (rename) and call release().
//
//   auto spool = SpooledFile::create("/srv/uploads", ".spool-");
//   if (!spool) return error(spool.error());
//   spool->append(chunk.data(), chunk.size());
//   spool->finish_writing();
//   ...                                  // read spool->path()
//   ::rename(spool->path().c_str(), final_path.c_str());
//   spool->release();                    // now the file is the caller's
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::http {

// SpooledFile owns a temporary file: open for writing from create() until
// finish_writing(), unlinked by the destructor unless released. Move-only.
class SpooledFile {
 public:
  // CreateResult is a new file or the reason it could not be made (errno text).
  struct CreateResult;

  // create makes a new empty file "<prefix><32 random hex digits>" in `dir`
  // (O_CREAT|O_EXCL, mode 0600, never following a planted name) open for writing.
  static CreateResult create(const std::string& dir, std::string_view prefix);

  SpooledFile() = default;
  ~SpooledFile();
  SpooledFile(SpooledFile&& other) noexcept;
  SpooledFile& operator=(SpooledFile&& other) noexcept;
  SpooledFile(const SpooledFile&) = delete;
  SpooledFile& operator=(const SpooledFile&) = delete;

  // append writes all of `data` at the end; false (errno set) on a write error
  // or when the file is no longer open for writing.
  bool append(const void* data, std::size_t size);
  // sync flushes the written bytes to the device (fsync); false on error.
  bool sync();
  // finish_writing closes the write handle; the file stays until destruction.
  void finish_writing();
  // release gives up ownership: the file is no longer removed. Returns its path.
  std::string release();

  // path is the file's full path ("" for an empty SpooledFile).
  const std::string& path() const { return path_; }
  // size is the number of bytes appended.
  std::uint64_t size() const { return size_; }
  // empty is true when there is no file (default-constructed, moved from or released).
  bool empty() const { return path_.empty(); }

 private:
  SpooledFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  void discard() noexcept;

  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

struct SpooledFile::CreateResult {
  std::optional<SpooledFile> file;
  std::string error;  // why creation failed (strerror text), when `file` is empty

  explicit operator bool() const { return file.has_value(); }
  SpooledFile* operator->() { return &*file; }
  SpooledFile& operator*() { return *file; }
};

// random_hex returns `bytes` random bytes from the OS CSPRNG as 2×bytes
// lower-case hex digits (names that cannot be guessed or collide).
std::string random_hex(std::size_t bytes);

}  // namespace keel::http
