#include "keel/observability/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace keel::observability {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// leading_number parses the number at the start of `text` (after spaces), if any.
std::optional<double> leading_number(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc()) return std::nullopt;
  return value;
}

std::optional<double> cpu_seconds() {
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return std::nullopt;
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// statm_bytes reads field `index` of /proc/self/statm (0 = virtual size, 1 = resident), in
// pages, and converts it to bytes.
std::optional<double> statm_bytes(int index) {
  const auto text = read_file("/proc/self/statm");
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  double pages = 0;
  for (int i = 0; i <= index; ++i) {
    if (!(in >> pages)) return std::nullopt;
  }
  return pages * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

std::optional<double> open_fds() {
  std::error_code error;
  std::filesystem::directory_iterator it("/proc/self/fd", error);
  if (error) return std::nullopt;
  double count = 0;
  for (const std::filesystem::directory_iterator end; it != end; it.increment(error)) {
    if (error) return std::nullopt;
    ++count;
  }
  return count - 1;  // the descriptor the iterator itself holds
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  if (limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<double>(limit.rlim_cur);
}

// start_time_seconds is boot time (/proc/stat btime) plus the process's start tick
// (field 22 of /proc/self/stat), in seconds since the epoch.
std::optional<double> start_time_seconds() {
  const auto stat = read_file("/proc/self/stat");
  const auto system = read_file("/proc/stat");
  if (!stat || !system) return std::nullopt;
  // The command name (field 2) may contain spaces and parentheses; fields resume after the
  // last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat->substr(close + 1));
  std::string field;
  for (int number = 3; number <= 22; ++number) {
    if (!(fields >> field)) return std::nullopt;
  }
  const auto start_ticks = leading_number(field);

  const auto at = system->find("\nbtime ");
  if (!start_ticks || at == std::string::npos) return std::nullopt;
  const auto boot = leading_number(std::string_view(*system).substr(at + 7));
  if (!boot) return std::nullopt;
  return *boot + *start_ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void register_process_metrics(MetricsRegistry& registry) {
  const double started = start_time_seconds().value_or(now_seconds());

  registry
      .callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                MetricType::counter)
      .set({}, cpu_seconds);
  registry.callback("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::gauge)
      .set({}, [] { return statm_bytes(1); });
  registry.callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::gauge)
      .set({}, [] { return statm_bytes(0); });
  registry.callback("process_open_fds", "Number of open file descriptors.", MetricType::gauge)
      .set({}, open_fds);
  registry.callback("process_max_fds", "Maximum number of open file descriptors.", MetricType::gauge)
      .set({}, max_fds);
  registry
      .callback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                MetricType::gauge)
      .set({}, [started] { return started; });
  registry.callback("keel_uptime_seconds", "Seconds since the process started.", MetricType::gauge)
      .set({}, [started] { return now_seconds() - started; });
}

void register_build_info(MetricsRegistry& registry, std::string_view version, std::string_view commit) {
  registry.gauge("keel_build_info", "Build of the running binary (value is always 1).", {"version", "commit"})
      .labels({version, commit})
      .set(1);
}

}  // namespace keel::observability
