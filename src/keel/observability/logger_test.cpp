#include "keel/observability/logger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>
#include <vector>

namespace keel::observability {
namespace {

using namespace std::chrono_literals;

// Sink captures what a Logger writes; the writer may run on the flusher thread.
class Sink {
 public:
  LogWriter writer() {
    return [this](std::string_view data) {
      std::lock_guard lock(mutex_);
      data_.append(data);
      ++writes_;
    };
  }
  std::string data() const {
    std::lock_guard lock(mutex_);
    return data_;
  }
  int writes() const {
    std::lock_guard lock(mutex_);
    return writes_;
  }
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(data());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  // wait_for_lines polls until `count` lines arrived or the deadline passes.
  bool wait_for_lines(std::size_t count, std::chrono::milliseconds deadline) const {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (lines().size() < count) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

 private:
  mutable std::mutex mutex_;
  std::string data_;
  int writes_ = 0;
};

LoggerOptions options_for(Sink& sink, LogLevel level = LogLevel::debug) {
  LoggerOptions options;
  options.level = level;
  options.writer = sink.writer();
  return options;
}

// Strips the timestamp so lines compare exactly.
std::string without_ts(const std::string& line) {
  const auto level = line.find(R"("level")");
  return level == std::string::npos ? line : "{" + line.substr(level);
}

TEST(Logger, WritesFieldsInOrderAfterFlush) {
  Sink sink;
  Logger log(options_for(sink));
  log.info("request", {{"method", "GET"}, {"status", 200}, {"duration_ms", 1.25}});
  log.flush();
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].starts_with(R"({"ts":")"));
  EXPECT_EQ(without_ts(lines[0]),
            R"({"level":"info","msg":"request","method":"GET","status":200,"duration_ms":1.25})");
}

TEST(Logger, FiltersBelowConfiguredLevel) {
  Sink sink;
  Logger log(options_for(sink, LogLevel::warning));
  EXPECT_FALSE(log.enabled(LogLevel::info));
  EXPECT_TRUE(log.enabled(LogLevel::error));
  log.debug("d");
  log.info("i");
  log.warning("w");
  log.error("e");
  log.flush();
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(without_ts(lines[0]), R"({"level":"warning","msg":"w"})");
  EXPECT_EQ(without_ts(lines[1]), R"({"level":"error","msg":"e"})");
}

TEST(Logger, RuntimeFieldListOverload) {
  Sink sink;
  Logger log(options_for(sink));
  std::vector<LogField> fields{{"route", "/api/v1/items/{id}"}, {"status", std::to_string(404)}};
  log.log(LogLevel::info, "access", fields);
  log.flush();
  EXPECT_EQ(without_ts(sink.lines().at(0)),
            R"({"level":"info","msg":"access","route":"/api/v1/items/{id}","status":"404"})");
}

TEST(Logger, TextFormatAndRedaction) {
  Sink sink;
  Logger log;
  log.configure(LogLevel::info, LogFormat::text, sink.writer());
  log.info("login", {{"password", "hunter2"}, {"path", "/x?token=abc"}});
  log.flush();
  const std::string data = sink.data();
  // `=` in a value forces quotes, so key=value pairs stay unambiguous.
  EXPECT_NE(data.find(" INFO login password=[REDACTED] path=\"/x?token=[REDACTED]\"\n"), std::string::npos)
      << data;
  EXPECT_EQ(data.find("hunter2"), std::string::npos);
}

TEST(Logger, InfoWaitsForTheIntervalButWarningsAreWrittenPromptly) {
  Sink sink;
  LoggerOptions options = options_for(sink);
  options.flush_interval = 10s;
  Logger log(std::move(options));
  log.info("batched");
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(sink.data(), "");
  log.warning("urgent");
  ASSERT_TRUE(sink.wait_for_lines(2, 2s));
  const auto lines = sink.lines();
  EXPECT_EQ(without_ts(lines[0]), R"({"level":"info","msg":"batched"})");
  EXPECT_EQ(without_ts(lines[1]), R"({"level":"warning","msg":"urgent"})");
}

TEST(Logger, BackgroundFlusherWritesWithoutExplicitFlush) {
  Sink sink;
  LoggerOptions options = options_for(sink);
  options.flush_interval = 5ms;
  Logger log(std::move(options));
  log.info("eventually");
  EXPECT_TRUE(sink.wait_for_lines(1, 2s));
}

TEST(Logger, ConcurrentLinesStayWhole) {
  Sink sink;
  LoggerOptions options = options_for(sink);
  options.flush_bytes = 4096;  // many small batches, interleaved with writers
  Logger log(std::move(options));
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kLines; ++i) log.info("line", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& thread : threads) thread.join();
  log.flush();
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(kThreads * kLines));
  std::vector<int> next(kThreads, 0);  // per-thread order is preserved
  for (const auto& line : lines) {
    ASSERT_TRUE(line.starts_with(R"({"ts":")") && line.ends_with("}")) << line;
    const auto t = line.find(R"("thread":)");
    ASSERT_NE(t, std::string::npos);
    const int thread = line[t + 9] - '0';
    const int i = std::stoi(line.substr(line.find(R"("i":)") + 4));
    EXPECT_EQ(i, next[thread]++);
  }
  EXPECT_EQ(log.dropped_lines(), 0u);
}

TEST(Logger, DropsAndCountsLinesWhenTheBufferIsFull) {
  Sink sink;
  LoggerOptions options = options_for(sink);
  options.flush_interval = 10s;
  options.flush_bytes = 1 << 20;
  options.max_buffer_bytes = 250;  // room for three 75-byte lines
  Logger log(std::move(options));
  for (int i = 0; i < 20; ++i) log.info("filler line", {{"i", i}});
  EXPECT_EQ(log.dropped_lines(), 17u);
  log.flush();
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(without_ts(lines[2]), R"({"level":"info","msg":"filler line","i":2})");
  EXPECT_EQ(without_ts(lines[3]),
            R"({"level":"warning","msg":"log lines dropped: output is slower than logging","dropped":17})");
}

TEST(Logger, DestructorWritesWhatIsPending) {
  Sink sink;
  {
    LoggerOptions options = options_for(sink);
    options.flush_interval = 10s;
    Logger log(std::move(options));
    log.info("last words");
  }
  ASSERT_EQ(sink.lines().size(), 1u);
  EXPECT_EQ(without_ts(sink.lines()[0]), R"({"level":"info","msg":"last words"})");
}

TEST(Logger, ConfigureFlushesToTheOldWriterFirst) {
  Sink first;
  Sink second;
  LoggerOptions options = options_for(first);
  options.flush_interval = 10s;
  Logger log(std::move(options));
  log.info("one");
  log.configure(LogLevel::info, LogFormat::json, second.writer());
  log.debug("filtered now");
  log.info("two");
  log.flush();
  EXPECT_EQ(first.lines().size(), 1u);
  ASSERT_EQ(second.lines().size(), 1u);
  EXPECT_EQ(without_ts(second.lines()[0]), R"({"level":"info","msg":"two"})");
}

TEST(Logger, FdWriterWritesToAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    Logger log(
        LoggerOptions{.level = LogLevel::info, .format = LogFormat::json, .writer = fd_writer(fds[1])});
    log.error("to the pipe", {{"n", 1}});
  }
  ::close(fds[1]);
  std::string data;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) data.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  EXPECT_TRUE(data.ends_with(R"("level":"error","msg":"to the pipe","n":1})"
                             "\n"))
      << data;
}

TEST(Logger, StreamWriter) {
  std::ostringstream stream;
  {
    Logger log(LoggerOptions{.writer = stream_writer(stream)});
    log.info("streamed");
  }
  EXPECT_NE(stream.str().find(R"("msg":"streamed")"), std::string::npos);
}

TEST(Logger, ProcessWideLoggerIsOneInstance) {
  EXPECT_EQ(&logger(), &logger());
  EXPECT_TRUE(logger().enabled(LogLevel::info));
}

}  // namespace
}  // namespace keel::observability
