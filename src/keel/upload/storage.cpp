#include "keel/upload/storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

namespace keel::upload {
namespace {

constexpr std::size_t kNameHexDigits = 32;
constexpr std::string_view kTemporaryPrefixes[] = {".upload-", ".spool-"};

// sync_directory makes a rename in `dir` durable (the entry, not just the data).
bool sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced;
}

}  // namespace

StoredFile::~StoredFile() {
  if (fd_ >= 0) ::close(fd_);
}

StoredFile::StoredFile(StoredFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(std::exchange(other.size_, 0)) {}

StoredFile& StoredFile::operator=(StoredFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

int StoredFile::release() { return std::exchange(fd_, -1); }

std::optional<std::string> Storage::ensure_directory() const {
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) return "cannot create " + dir_ + ": " + error.message();
  // One descriptor for both steps, so they apply to the same directory even if the path
  // is swapped meanwhile; the check is for the effective user that will write the files.
  const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // std::error_code's message, not strerror(3): that one shares a buffer between threads.
  if (fd < 0) return "cannot open " + dir_ + ": " + std::error_code(errno, std::generic_category()).message();
  ::fchmod(fd, 0700);  // best effort: the directory may belong to the operator
  const bool writable = ::faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) == 0;
  const std::error_code access_error(errno, std::generic_category());
  ::close(fd);
  if (!writable) return "cannot write to " + dir_ + ": " + access_error.message();
  return std::nullopt;
}

std::optional<std::string> Storage::commit(http::SpooledFile& temp) const {
  if (temp.empty()) return std::nullopt;
  // The file's bytes reach the disk before its name does: a crash cannot leave a stored, truncated file.
  if (!temp.sync()) return std::nullopt;
  temp.finish_writing();
  const std::string name = http::random_hex(kNameHexDigits / 2);
  if (::rename(temp.path().c_str(), path_of(name).c_str()) != 0) return std::nullopt;
  temp.release();
  sync_directory(dir_);  // the rename is done either way; a failed dir fsync only weakens durability
  return name;
}

std::optional<StoredFile> Storage::open(std::string_view name) const {
  if (!is_stored_name(name)) return std::nullopt;
  const int fd = ::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return std::nullopt;
  }
  return StoredFile(fd, static_cast<std::uint64_t>(info.st_size));
}

bool Storage::remove(std::string_view name) const {
  if (!is_stored_name(name)) return false;
  return ::unlink(path_of(name).c_str()) == 0;
}

std::size_t Storage::remove_stale_temporaries(std::chrono::seconds age) const {
  std::size_t removed = 0;
  std::error_code error;
  const auto cutoff = std::filesystem::file_time_type::clock::now() - age;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    const bool temporary = std::any_of(std::begin(kTemporaryPrefixes), std::end(kTemporaryPrefixes),
                                       [&](std::string_view prefix) { return name.starts_with(prefix); });
    if (!temporary) continue;
    std::error_code ignored;
    const auto written = entry.last_write_time(ignored);
    if (!ignored && written < cutoff && std::filesystem::remove(entry.path(), ignored)) ++removed;
  }
  return removed;
}

bool Storage::is_stored_name(std::string_view name) {
  return name.size() == kNameHexDigits && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace keel::upload
