#include "keel/upload/byte_range.hpp"

#include <gtest/gtest.h>

namespace keel::upload {
namespace {

void expect_partial(std::string_view header, std::uint64_t size, std::uint64_t first, std::uint64_t length) {
  SCOPED_TRACE(std::string(header));
  const auto decision = evaluate_range(header, size);
  EXPECT_EQ(decision.kind, RangeKind::partial);
  EXPECT_EQ(decision.first, first);
  EXPECT_EQ(decision.length, length);
}

void expect_kind(std::optional<std::string_view> header, std::uint64_t size, RangeKind kind) {
  SCOPED_TRACE(std::string(header.value_or("<none>")));
  const auto decision = evaluate_range(header, size);
  EXPECT_EQ(decision.kind, kind);
  if (kind == RangeKind::full) {
    EXPECT_EQ(decision.first, 0u);
    EXPECT_EQ(decision.length, size);
  }
}

TEST(EvaluateRange, ServesOneSatisfiableRange) {
  expect_partial("bytes=0-99", 1000, 0, 100);
  expect_partial("bytes=990-", 1000, 990, 10);
  expect_partial("bytes=-10", 1000, 990, 10);
  expect_partial("bytes=-5000", 1000, 0, 1000);      // a suffix longer than the file is the file
  expect_partial("bytes=900-5000", 1000, 900, 100);  // the last position is clamped
  expect_partial("bytes=999-999", 1000, 999, 1);
  expect_partial(" Bytes = 5-9 ", 1000, 5, 5);
  expect_partial("bytes=5-9,", 1000, 5, 5);  // empty list elements are allowed
  expect_partial("bytes=0-99999999999999999999999", 1000, 0, 1000);
}

TEST(EvaluateRange, RangesPastTheEndAreUnsatisfiable) {
  expect_kind("bytes=1000-", 1000, RangeKind::unsatisfiable);
  expect_kind("bytes=1000-2000", 1000, RangeKind::unsatisfiable);
  expect_kind("bytes=-0", 1000, RangeKind::unsatisfiable);
  expect_kind("bytes=0-", 0, RangeKind::unsatisfiable);
  expect_kind("bytes=-1", 0, RangeKind::unsatisfiable);
  expect_kind("bytes=99999999999999999999999-", 1000, RangeKind::unsatisfiable);
}

TEST(EvaluateRange, IgnoresWhatItDoesNotServe) {
  expect_kind(std::nullopt, 1000, RangeKind::full);
  expect_kind("items=0-5", 1000, RangeKind::full);
  expect_kind("bytes=0-5,10-20", 1000, RangeKind::full);  // several ranges: the whole file
  expect_kind("bytes=9-5", 1000, RangeKind::full);        // last < first: invalid
  expect_kind("bytes=abc", 1000, RangeKind::full);
  expect_kind("bytes=1-2-3", 1000, RangeKind::full);
  expect_kind("bytes=+1-2", 1000, RangeKind::full);
  expect_kind("bytes=-", 1000, RangeKind::full);
  expect_kind("bytes=", 1000, RangeKind::full);
  expect_kind("bytes", 1000, RangeKind::full);
}

TEST(ContentRange, NamesFirstLastAndSize) {
  EXPECT_EQ(content_range(evaluate_range("bytes=-10", 1000), 1000), "bytes 990-999/1000");
}

}  // namespace
}  // namespace keel::upload
