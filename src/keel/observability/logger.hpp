// keel/observability/logger.hpp — the process's structured logger (JSON lines on stdout).
//
// Configure once at start-up, then log from any thread. A line is formatted (and redacted,
// see log_line.hpp) on the calling thread, appended to a shared buffer under a short lock,
// and written by a background flusher thread every ~20 ms or once 64 KiB are pending;
// warning and error lines wake the flusher at once. Call flush() before exiting abnormally.
//
//   using keel::observability::logger;
//   logger().configure(LogLevel::info, LogFormat::json);          // stdout
//   logger().info("server started", {{"port", 8000}, {"workers", 4}});
//   if (logger().enabled(LogLevel::debug)) logger().debug("cache", {{"hits", hits}});
//
// Tests construct their own Logger with a capturing writer (see LogWriter).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "keel/observability/log_line.hpp"

namespace keel::observability {

// LogWriter receives batches of complete lines. Calls are serialised (never concurrent),
// and it must not log.
using LogWriter = std::function<void(std::string_view)>;

// fd_writer writes to a file descriptor (retrying short writes; errors drop the batch,
// since there is nowhere left to report them). The fd is not closed.
LogWriter fd_writer(int fd);
// stream_writer writes to `stream`, which must outlive the logger's use of it.
LogWriter stream_writer(std::ostream& stream);

// LoggerOptions is the whole configuration; the defaults are production's.
struct LoggerOptions {
  LogLevel level = LogLevel::info;
  LogFormat format = LogFormat::json;
  LogWriter writer = fd_writer(1);
  // flush_interval bounds how long an info line waits in memory.
  std::chrono::milliseconds flush_interval{20};
  // flush_bytes of pending output wake the flusher early.
  std::size_t flush_bytes = std::size_t{64} << 10;
  // max_buffer_bytes caps pending output; further lines are dropped and counted (a slow
  // stdout must not grow memory without bound), and a warning line reports the loss.
  std::size_t max_buffer_bytes = std::size_t{8} << 20;
};

// Logger is thread-safe. Ownership: `pending_` (lines not yet handed to the writer) belongs
// to `mutex_`; `writer_` and the batch being written belong to `write_mutex_`, which is
// always taken before `mutex_`, so batches reach the writer in the order they were logged.
// Level and format are atomics so the hot path reads them without a lock.
class Logger {
 public:
  Logger();
  explicit Logger(LoggerOptions options);
  // ~Logger stops the flusher and writes everything still pending.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // configure flushes what is pending with the old settings, then applies `options`.
  void configure(LoggerOptions options);
  // configure keeps the buffering defaults and sets level, format and destination.
  void configure(LogLevel level, LogFormat format, LogWriter writer = fd_writer(1));

  // enabled says whether a line at `level` would be written; check it before building
  // expensive fields.
  bool enabled(LogLevel level) const noexcept { return level >= level_.load(std::memory_order_relaxed); }

  // log writes one line with `fields` in the given order.
  void log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  // log takes fields built at run time (e.g. the access log's).
  void log(LogLevel level, std::string_view msg, std::span<const LogField> fields);

  // debug, info, warning and error are log() at that level.
  void debug(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::debug, msg, fields);
  }
  void info(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::info, msg, fields);
  }
  void warning(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::warning, msg, fields);
  }
  void error(std::string_view msg, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::error, msg, fields);
  }

  // flush hands everything logged so far to the writer before returning.
  void flush();

  // dropped_lines counts lines lost because the buffer was full (for a metric).
  std::uint64_t dropped_lines() const noexcept { return dropped_lines_.load(std::memory_order_relaxed); }

 private:
  void append(LogLevel level, std::string_view line);
  void drain();
  void drain_locked();  // requires write_mutex_
  void run_flusher();

  std::atomic<LogLevel> level_{LogLevel::info};
  std::atomic<LogFormat> format_{LogFormat::json};
  std::atomic<std::uint64_t> dropped_lines_{0};

  std::mutex write_mutex_;
  LogWriter writer_;   // guarded by write_mutex_
  std::string batch_;  // guarded by write_mutex_: the lines being written

  std::mutex mutex_;
  std::condition_variable wake_flusher_;
  std::string pending_;                       // guarded by mutex_
  std::uint64_t reported_dropped_ = 0;        // guarded by mutex_
  std::chrono::milliseconds flush_interval_;  // guarded by mutex_
  std::size_t flush_bytes_ = 0;               // guarded by mutex_
  std::size_t max_buffer_bytes_ = 0;          // guarded by mutex_
  bool urgent_ = false;                       // guarded by mutex_
  bool stopping_ = false;                     // guarded by mutex_

  std::thread flusher_;  // last: starts after every member above exists
};

// logger returns the process-wide logger (JSON, info, stdout until configured). It lives
// until static destruction, where it flushes; do not log from static destructors.
Logger& logger();

}  // namespace keel::observability
