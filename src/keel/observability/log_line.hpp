// keel/observability/log_line.hpp — one structured log line: its level, fields and rendering.
//
// The Logger (logger.hpp) formats every line through format_log_line; tests and tools can
// call it directly with a fixed clock. Redaction is applied here, so it cannot be skipped.
//
//   const LogField fields[] = {{"user_id", 42}, {"email", email}};
//   std::string line;
//   format_log_line(line, LogFormat::json, LogLevel::info, now, "user created", fields);
//   // {"ts":"2026-11-27T18:19:12.345Z","level":"info","msg":"user created","user_id":42,...}\n
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace keel::observability {

// LogLevel orders severities; lines below the configured level are skipped.
enum class LogLevel : std::uint8_t { debug, info, warning, error };

// LogFormat picks JSON lines (production) or human-readable text (development).
enum class LogFormat : std::uint8_t { json, text };

// to_string returns "debug", "info", "warning" or "error".
std::string_view to_string(LogLevel level) noexcept;
// parse_log_level reads LOG_LEVEL values (case-insensitive; "warn" means warning).
std::optional<LogLevel> parse_log_level(std::string_view text) noexcept;
// parse_log_format reads LOG_FORMAT values: "json" or "text" (case-insensitive).
std::optional<LogFormat> parse_log_format(std::string_view text) noexcept;

// LogValue is a field's value: null, string, integer, double or bool.
//
// Lifetime: an lvalue string (const char*, string_view, const std::string&) is borrowed and
// must outlive the log call (true for locals and for temporaries in the same statement);
// an rvalue std::string is moved in and owned, so building a vector of fields from
// std::to_string(...) results is safe.
class LogValue {
 public:
  enum class Kind : std::uint8_t { null, string, int64, uint64, float64, boolean };

  // The constructors are implicit on purpose: fields are written as {"key", value}.
  LogValue() noexcept = default;
  LogValue(std::nullptr_t) noexcept {}
  LogValue(const char* s) noexcept {
    if (s != nullptr) set_view(s);
  }
  LogValue(std::string_view s) noexcept { set_view(s); }
  LogValue(const std::string& s) noexcept { set_view(s); }
  LogValue(std::string&& s) noexcept : kind_(Kind::string), owns_(true), owned_(std::move(s)) {}
  LogValue(bool b) noexcept : kind_(Kind::boolean) { number_.boolean = b; }
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogValue(T v)
  noexcept {
    if constexpr (std::is_signed_v<T>) {
      kind_ = Kind::int64;
      number_.int64 = v;
    } else {
      kind_ = Kind::uint64;
      number_.uint64 = v;
    }
  }
  template <std::floating_point T>
  LogValue(T v) noexcept : kind_(Kind::float64) {
    number_.float64 = static_cast<double>(v);
  }
  // An empty optional logs as null.
  template <typename T>
  LogValue(const std::optional<T>& v) : LogValue() {
    if (v.has_value()) *this = LogValue(*v);
  }

  Kind kind() const noexcept { return kind_; }
  // text is the string of a Kind::string value (empty otherwise).
  std::string_view text() const noexcept { return owns_ ? std::string_view(owned_) : view_; }
  // int64, uint64, float64 and boolean read the number of the matching kind.
  std::int64_t int64() const noexcept { return number_.int64; }
  std::uint64_t uint64() const noexcept { return number_.uint64; }
  double float64() const noexcept { return number_.float64; }
  bool boolean() const noexcept { return number_.boolean; }

 private:
  void set_view(std::string_view s) noexcept {
    kind_ = Kind::string;
    view_ = s;
  }

  // A tagged layout rather than std::variant: g++ 12 at -O2 reports a false
  // -Wmaybe-uninitialized on variants holding std::string.
  Kind kind_ = Kind::null;
  bool owns_ = false;  // the text is in owned_, not view_
  union {
    std::int64_t int64;
    std::uint64_t uint64;
    double float64;
    bool boolean;
  } number_{};
  std::string_view view_;
  std::string owned_;
};

// LogField is one `key: value` pair; keys are code-chosen snake_case names.
struct LogField {
  std::string_view key;
  LogValue value;
};

// format_log_line appends one complete line (ending in '\n') to `out`: `ts`, `level`, `msg`,
// then the fields in the given order. Fields with a sensitive key (is_sensitive_key) log
// "[REDACTED]"; every string, msg included, passes through redact(); strings are escaped
// and invalid UTF-8 becomes U+FFFD. Non-finite doubles log as null (JSON has no NaN).
void format_log_line(std::string& out, LogFormat format, LogLevel level,
                     std::chrono::system_clock::time_point time, std::string_view msg,
                     std::span<const LogField> fields);

}  // namespace keel::observability
