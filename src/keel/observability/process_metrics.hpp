// keel/observability/process_metrics.hpp — process and build metrics for `/metrics`.
//
// Registers callback metrics read from /proc/self (and getrusage/getrlimit) at scrape time,
// with the names the standard Prometheus client libraries use, so stock dashboards work:
// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds, plus keel_uptime_seconds.
//
//   register_process_metrics(metrics());
//   register_build_info(metrics(), KEEL_VERSION, KEEL_GIT_COMMIT);
//   // keel_build_info{version="0.1.0",commit="abc1234"} 1
#pragma once

#include <string_view>

#include "keel/observability/metrics.hpp"

namespace keel::observability {

// register_process_metrics adds the process collector to `registry` (idempotent).
void register_process_metrics(MetricsRegistry& registry);

// register_build_info adds the constant gauge keel_build_info{version,commit} = 1.
void register_build_info(MetricsRegistry& registry, std::string_view version, std::string_view commit);

}  // namespace keel::observability
