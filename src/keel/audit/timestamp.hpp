// keel/audit/timestamp.hpp — the one text form of a moment that Keel stores.
//
// Audit rows (like the service's tables, see migrations/*/0003_identity) store
// moments as fixed-width ISO 8601 UTC text with milliseconds,
// "2026-11-27T09:30:00.123Z": the same in SQLite and PostgreSQL, sortable
// and comparable as plain text, so range filters and keyset cursors work
// identically on both dialects.
//
//   std::string at = keel::audit::format_timestamp(std::chrono::system_clock::now());
//   auto since = keel::audit::parse_timestamp("2026-11-27T10:30:00+01:00");  // "2026-11-27T09:30:00.000Z"
//   if (!since) reject("since");
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace keel::audit {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

// format_timestamp renders `at` as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, 24 characters).
std::string format_timestamp(TimePoint at);
// format_timestamp of any precision truncates to milliseconds first (never
// through system_clock's nanoseconds, which overflow after the year 2262).
template <class Duration>
std::string format_timestamp(std::chrono::sys_time<Duration> at) {
  return format_timestamp(TimePoint(std::chrono::floor<std::chrono::milliseconds>(at)));
}

// now_timestamp is format_timestamp(system_clock::now()).
std::string now_timestamp();

// parse_timestamp reads an ISO 8601 / RFC 3339 date-time with a zone
// ("Z" or ±HH:MM, fractions of a second optional, cut to milliseconds) or a plain date
// ("2026-11-27", meaning its midnight UTC) and returns it in the stored form;
// std::nullopt for anything else, including impossible dates.
std::optional<std::string> parse_timestamp(std::string_view text);

// to_time_point reads a stored timestamp back (std::nullopt when it is not one).
std::optional<TimePoint> to_time_point(std::string_view stored);

}  // namespace keel::audit
