#include "keel/audit/timestamp.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace keel::audit {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

// Digits reads fixed-width decimal fields from a string, left to right.
class Digits {
 public:
  explicit Digits(std::string_view text) : text_(text) {}

  // number reads exactly `width` digits.
  std::optional<int> number(std::size_t width) {
    if (pos_ + width > text_.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    return value;
  }
  // literal consumes `c` when it is next.
  bool literal(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  // peek returns the next character, or '\0' at the end.
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool done() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<std::chrono::sys_days> read_date(Digits& in) {
  const auto year = in.number(4);
  if (!year || !in.literal('-')) return std::nullopt;
  const auto month = in.number(2);
  if (!month || !in.literal('-')) return std::nullopt;
  const auto day = in.number(2);
  if (!day) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date);
}

// read_fraction reads ".ddd…" (any number of digits, cut to milliseconds).
std::optional<milliseconds> read_fraction(Digits& in) {
  if (!in.literal('.')) return milliseconds(0);
  std::int64_t millis = 0;
  int digits = 0;
  while (in.peek() >= '0' && in.peek() <= '9' && digits < 12) {
    const int digit = *in.number(1);
    if (digits < 3) millis = millis * 10 + digit;
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  for (int i = digits; i < 3; ++i) millis *= 10;
  return milliseconds(millis);
}

}  // namespace

std::string format_timestamp(TimePoint at) {
  const auto day = std::chrono::floor<days>(at);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss<milliseconds> time(at - day);
  std::array<char, 40> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03lldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
  return buffer.data();
}

std::string now_timestamp() { return format_timestamp(std::chrono::system_clock::now()); }

std::optional<std::string> parse_timestamp(std::string_view text) {
  const auto moment = to_time_point(text);
  if (moment) return format_timestamp(*moment);
  Digits in(text);
  const auto date = read_date(in);
  if (!date) return std::nullopt;
  if (in.done()) return format_timestamp(*date);
  if (!in.literal('T') && !in.literal('t') && !in.literal(' ')) return std::nullopt;
  const auto hour = in.number(2);
  if (!hour || !in.literal(':')) return std::nullopt;
  const auto minute = in.number(2);
  if (!minute || !in.literal(':')) return std::nullopt;
  const auto second = in.number(2);
  if (!second) return std::nullopt;
  const auto fraction = read_fraction(in);
  // A leap second (:60) has no distinct instant in system_clock time: refused.
  if (!fraction || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  milliseconds offset(0);
  if (!in.literal('Z') && !in.literal('z')) {
    const char sign = in.peek();
    if (sign != '+' && sign != '-') return std::nullopt;
    in.literal(sign);
    const auto offset_hours = in.number(2);
    if (!offset_hours || !in.literal(':')) return std::nullopt;
    const auto offset_minutes = in.number(2);
    if (!offset_minutes || *offset_hours > 23 || *offset_minutes > 59) return std::nullopt;
    offset = hours(*offset_hours) + minutes(*offset_minutes);
    if (sign == '-') offset = -offset;
  }
  if (!in.done()) return std::nullopt;
  const auto local = std::chrono::sys_time<milliseconds>(*date) + hours(*hour) + minutes(*minute) +
                     seconds(*second) + *fraction;
  return format_timestamp(local - offset);
}

std::optional<TimePoint> to_time_point(std::string_view stored) {
  // The stored form only: "YYYY-MM-DDTHH:MM:SS.mmmZ".
  if (stored.size() != 24) return std::nullopt;
  Digits in(stored);
  const auto date = read_date(in);
  if (!date || !in.literal('T')) return std::nullopt;
  const auto hour = in.number(2);
  if (!hour || !in.literal(':')) return std::nullopt;
  const auto minute = in.number(2);
  if (!minute || !in.literal(':')) return std::nullopt;
  const auto second = in.number(2);
  if (!second || !in.literal('.')) return std::nullopt;
  const auto millis = in.number(3);
  if (!millis || !in.literal('Z') || !in.done()) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  return TimePoint(std::chrono::sys_days(*date)) + hours(*hour) + minutes(*minute) + seconds(*second) +
         milliseconds(*millis);
}

}  // namespace keel::audit
