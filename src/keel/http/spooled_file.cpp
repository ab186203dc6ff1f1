#include "keel/http/spooled_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace keel::http {

std::string random_hex(std::size_t bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  std::size_t filled = 0;
  while (filled < bytes) {
    const auto got = ::getrandom(raw.data() + filled, bytes - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      // Only possible on a kernel without getrandom (pre-3.17); names must not be guessable.
      throw std::runtime_error("getrandom failed: " + std::string(std::strerror(errno)));
    }
    filled += static_cast<std::size_t>(got);
  }
  std::string hex;
  hex.reserve(bytes * 2);
  for (const char c : raw) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

SpooledFile::CreateResult SpooledFile::create(const std::string& dir, std::string_view prefix) {
  // 128 random bits make a collision practically impossible; O_EXCL turns
  // the impossible (or a planted symlink) into a retry rather than a reuse.
  constexpr int kAttempts = 4;
  int last_errno = 0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::string path = dir;
    if (!path.empty() && path.back() != '/') path.push_back('/');
    path.append(prefix).append(random_hex(16));
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) return CreateResult{SpooledFile(std::move(path), fd), {}};
    last_errno = errno;
    if (last_errno != EEXIST) break;
  }
  return CreateResult{std::nullopt, std::strerror(last_errno)};
}

SpooledFile::~SpooledFile() { discard(); }

SpooledFile::SpooledFile(SpooledFile&& other) noexcept
    : path_(std::exchange(other.path_, {})),
      fd_(std::exchange(other.fd_, -1)),
      size_(std::exchange(other.size_, 0)) {}

SpooledFile& SpooledFile::operator=(SpooledFile&& other) noexcept {
  if (this != &other) {
    discard();
    path_ = std::exchange(other.path_, {});
    fd_ = std::exchange(other.fd_, -1);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

bool SpooledFile::append(const void* data, std::size_t size) {
  if (fd_ < 0) {
    errno = EBADF;
    return false;
  }
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const auto written = ::write(fd_, bytes, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
    size_ += static_cast<std::uint64_t>(written);
  }
  return true;
}

bool SpooledFile::sync() {
  if (fd_ < 0) {
    errno = EBADF;
    return false;
  }
  return ::fsync(fd_) == 0;
}

void SpooledFile::finish_writing() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string SpooledFile::release() {
  finish_writing();
  size_ = 0;
  return std::exchange(path_, {});
}

void SpooledFile::discard() noexcept {
  finish_writing();
  if (!path_.empty()) ::unlink(path_.c_str());
  path_.clear();
  size_ = 0;
}

}  // namespace keel::http
