#include "keel/observability/process_metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>

namespace keel::observability {
namespace {

// samples maps each unlabelled sample line `name value` of an exposition to its value.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line.find('{') != std::string::npos) continue;
    const auto space = line.find(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST(ProcessMetrics, ReportsPlausibleValues) {
  MetricsRegistry registry;
  register_process_metrics(registry);
  register_process_metrics(registry);  // idempotent
  const auto values = samples(registry.render());
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

  ASSERT_EQ(values.size(), 7u);
  EXPECT_GE(values.at("process_cpu_seconds_total"), 0.0);
  EXPECT_LT(values.at("process_cpu_seconds_total"), 3600.0);
  EXPECT_GT(values.at("process_resident_memory_bytes"), 1024.0 * 1024);
  EXPECT_GE(values.at("process_virtual_memory_bytes"), values.at("process_resident_memory_bytes"));
  EXPECT_GE(values.at("process_open_fds"), 1.0);
  EXPECT_GE(values.at("process_max_fds"), values.at("process_open_fds"));
  EXPECT_LE(values.at("process_start_time_seconds"), now + 1);
  EXPECT_GT(values.at("process_start_time_seconds"), now - 3600);
  EXPECT_GE(values.at("keel_uptime_seconds"), 0.0);
  EXPECT_LT(values.at("keel_uptime_seconds"), 3600.0);
}

TEST(ProcessMetrics, BuildInfo) {
  MetricsRegistry registry;
  register_build_info(registry, "0.1.0", "abc1234");
  EXPECT_NE(registry.render().find("# TYPE keel_build_info gauge\n"
                                   "keel_build_info{version=\"0.1.0\",commit=\"abc1234\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace keel::observability
