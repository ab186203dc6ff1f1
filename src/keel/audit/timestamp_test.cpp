#include "keel/audit/timestamp.hpp"

#include <gtest/gtest.h>

namespace keel::audit {
namespace {

using std::chrono::milliseconds;
using std::chrono::sys_days;

TEST(Timestamp, FormatsFixedWidthUtcWithMilliseconds) {
  const auto at = sys_days(std::chrono::year(2026) / 11 / 27) + std::chrono::hours(9) + std::chrono::minutes(5) +
                  std::chrono::seconds(7) + milliseconds(42) + std::chrono::microseconds(999);
  EXPECT_EQ(format_timestamp(at), "2026-11-27T09:05:07.042Z");
  EXPECT_EQ(now_timestamp().size(), 24U);
}

TEST(Timestamp, ParsesZonesFractionsAndDates) {
  EXPECT_EQ(parse_timestamp("2026-11-27T10:30:00+01:00"), "2026-11-27T09:30:00.000Z");
  EXPECT_EQ(parse_timestamp("2026-11-27T23:30:00-01:30"), "2026-11-28T01:00:00.000Z");
  EXPECT_EQ(parse_timestamp("2026-11-27T10:30:00Z"), "2026-11-27T10:30:00.000Z");
  EXPECT_EQ(parse_timestamp("2026-11-27T10:30:00.5Z"), "2026-11-27T10:30:00.500Z");
  EXPECT_EQ(parse_timestamp("2026-11-27T10:30:00.123456789Z"), "2026-11-27T10:30:00.123Z");
  EXPECT_EQ(parse_timestamp("2026-11-27"), "2026-11-27T00:00:00.000Z");
  // Far beyond system_clock's nanosecond range (2262): still exact.
  EXPECT_EQ(parse_timestamp("2999-01-01"), "2999-01-01T00:00:00.000Z");
  EXPECT_EQ(parse_timestamp("9999-12-31T23:59:59.999+00:00"), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(parse_timestamp("2026-11-27T10:30:00.123Z"), "2026-11-27T10:30:00.123Z");
}

TEST(Timestamp, RefusesAnythingElse) {
  for (const char* bad : {"", "yesterday", "2026-13-01", "2026-02-30", "2026-11-27T24:00:00Z", "2026-11-27T10:30:00",
                          "2026-11-27T10:30Z", "2026-11-27T10:30:00+0100", "2026-11-27T10:30:00Z junk", "2026-11-27T10:30:60Z",
                          "2026-11-27T10:30:00.Z", "1764236400"}) {
    EXPECT_FALSE(parse_timestamp(bad).has_value()) << bad;
  }
}

TEST(Timestamp, ReadsOnlyTheStoredFormBack) {
  const auto point = to_time_point("2026-11-27T09:05:07.042Z");
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(format_timestamp(*point), "2026-11-27T09:05:07.042Z");
  EXPECT_FALSE(to_time_point("2026-11-27T09:05:07Z").has_value());
  EXPECT_FALSE(to_time_point("2026-11-27T09:05:07.042+00:00").has_value());
}

}  // namespace
}  // namespace keel::audit
