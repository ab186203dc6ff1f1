#include "keel/observability/logger.hpp"

#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <utility>

namespace keel::observability {
namespace {

// Per-thread and batch buffers above this size are released after use, so one huge line
// or burst does not pin memory for the life of the thread.
constexpr std::size_t kKeepCapacity = std::size_t{1} << 20;

}  // namespace

LogWriter fd_writer(int fd) {
  return [fd](std::string_view data) {
    while (!data.empty()) {
      const ssize_t written = ::write(fd, data.data(), data.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(written));
    }
  };
}

LogWriter stream_writer(std::ostream& stream) {
  return [&stream](std::string_view data) {
    stream.write(data.data(), static_cast<std::streamsize>(data.size()));
    stream.flush();
  };
}

Logger::Logger() : Logger(LoggerOptions{}) {}

Logger::Logger(LoggerOptions options)
    : level_(options.level),
      format_(options.format),
      writer_(std::move(options.writer)),
      flush_interval_(options.flush_interval),
      flush_bytes_(options.flush_bytes),
      max_buffer_bytes_(options.max_buffer_bytes),
      flusher_([this] { run_flusher(); }) {}

Logger::~Logger() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_flusher_.notify_one();
  flusher_.join();
  drain();
}

void Logger::configure(LoggerOptions options) {
  std::lock_guard write_lock(write_mutex_);
  drain_locked();
  writer_ = std::move(options.writer);
  {
    std::lock_guard lock(mutex_);
    flush_interval_ = options.flush_interval;
    flush_bytes_ = options.flush_bytes;
    max_buffer_bytes_ = options.max_buffer_bytes;
  }
  level_.store(options.level, std::memory_order_relaxed);
  format_.store(options.format, std::memory_order_relaxed);
}

void Logger::configure(LogLevel level, LogFormat format, LogWriter writer) {
  LoggerOptions options;
  options.level = level;
  options.format = format;
  options.writer = std::move(writer);
  configure(std::move(options));
}

void Logger::log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  log(level, msg, std::span<const LogField>(fields.begin(), fields.size()));
}

void Logger::log(LogLevel level, std::string_view msg, std::span<const LogField> fields) {
  if (!enabled(level)) return;
  // Formatting (the expensive part) happens outside any lock, in a reused per-thread buffer.
  thread_local std::string line;
  line.clear();
  format_log_line(line, format_.load(std::memory_order_relaxed), level, std::chrono::system_clock::now(), msg,
                  fields);
  append(level, line);
  if (line.capacity() > kKeepCapacity) std::string().swap(line);
}

void Logger::append(LogLevel level, std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() + line.size() > max_buffer_bytes_) {
      dropped_lines_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // The flusher sleeps without a timeout while nothing is pending, so the first line of
    // a batch must wake it; later ones only when they make the batch urgent.
    const bool was_empty = pending_.empty();
    pending_.append(line);
    if (level >= LogLevel::warning || pending_.size() >= flush_bytes_) urgent_ = true;
    wake = was_empty || urgent_;
  }
  if (wake) wake_flusher_.notify_one();
}

void Logger::flush() { drain(); }

void Logger::drain() {
  std::lock_guard write_lock(write_mutex_);
  drain_locked();
}

void Logger::drain_locked() {
  std::uint64_t newly_dropped = 0;
  {
    std::lock_guard lock(mutex_);
    batch_.swap(pending_);
    urgent_ = false;
    const std::uint64_t dropped = dropped_lines_.load(std::memory_order_relaxed);
    newly_dropped = dropped - reported_dropped_;
    reported_dropped_ = dropped;
  }
  if (newly_dropped != 0) {
    const LogField fields[] = {{"dropped", newly_dropped}};
    format_log_line(batch_, format_.load(std::memory_order_relaxed), LogLevel::warning,
                    std::chrono::system_clock::now(), "log lines dropped: output is slower than logging",
                    fields);
  }
  if (!batch_.empty() && writer_) {
    try {
      writer_(batch_);
    } catch (...) {  // a failing sink must not take the process down; nothing to log to
    }
  }
  batch_.clear();
  if (batch_.capacity() > kKeepCapacity) std::string().swap(batch_);
}

void Logger::run_flusher() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_flusher_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;  // the destructor writes the rest
    // Let a batch gather for up to one interval unless something urgent arrives.
    wake_flusher_.wait_for(lock, flush_interval_, [this] { return stopping_ || urgent_; });
    lock.unlock();
    drain();
    lock.lock();
  }
}

Logger& logger() {
  static Logger instance;
  return instance;
}

}  // namespace keel::observability
