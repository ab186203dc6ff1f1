#include "keel/observability/log_line.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>

#include "keel/observability/redaction.hpp"

namespace keel::observability {
namespace {

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string_view upper_name(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "DEBUG";
    case LogLevel::info: return "INFO";
    case LogLevel::warning: return "WARNING";
    case LogLevel::error: return "ERROR";
  }
  return "INFO";
}

// utf8_length returns the length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF), or 0 when it is malformed.
std::size_t utf8_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < s.size() && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (c == 0xE0) return cont(i + 1, 0xA0) && cont(i + 2) ? 3 : 0;
  if (c == 0xED) return cont(i + 1, 0x80, 0x9F) && cont(i + 2) ? 3 : 0;
  if (c >= 0xE1 && c <= 0xEF) return cont(i + 1) && cont(i + 2) ? 3 : 0;
  if (c == 0xF0) return cont(i + 1, 0x90) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(i + 1) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  if (c == 0xF4) return cont(i + 1, 0x80, 0x8F) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

// append_escaped writes `s` with control characters as JSON escapes and malformed UTF-8 as
// U+FFFD. `quote_safe` also escapes `"` and `\` (JSON strings, quoted text values); the
// text format's message is left readable instead.
void append_escaped(std::string& out, std::string_view s, bool quote_safe) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Bytes copied as they are: printable ASCII (minus `"` and `\` when quote_safe).
  static constexpr auto kPlain = [](bool quotes) {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) plain[c] = !quotes || (c != '"' && c != '\\');
    return plain;
  };
  static constexpr std::array<bool, 256> kPlainQuoted = kPlain(true);
  static constexpr std::array<bool, 256> kPlainBare = kPlain(false);
  const std::array<bool, 256>& plain = quote_safe ? kPlainQuoted : kPlainBare;

  std::size_t run = 0;  // start of the pending run of bytes copied verbatim
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (plain[c]) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = utf8_length(s, i);
      if (len != 0) {
        i += len;
        continue;
      }
    }
    out.append(s.substr(run, i - run));
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        if (c >= 0x80) {
          out.append(kReplacementChar);
        } else {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        }
    }
    ++i;
    run = i;
  }
  out.append(s.substr(run));
}

// needs_text_quotes: text-format values are bare unless they would be ambiguous.
bool needs_text_quotes(std::string_view s) noexcept {
  if (s.empty()) return true;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c == 0x7F) return true;
  }
  return false;
}

enum class Slot { message, value };

void append_string(std::string& out, LogFormat format, Slot slot, std::string_view raw) {
  std::string redacted;
  std::string_view s = raw;
  if (has_secret_trigger(raw)) {
    redacted = redact(raw);
    s = redacted;
  }
  // JSON always quotes; text quotes values only when a bare one would be ambiguous, and
  // never the message.
  const bool quoted = format == LogFormat::json || (slot == Slot::value && needs_text_quotes(s));
  if (quoted) out.push_back('"');
  append_escaped(out, s, quoted);
  if (quoted) out.push_back('"');
}

template <typename T>
void append_number(std::string& out, T value) {
  std::array<char, 32> buf{};
  const auto result = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  out.append(buf.data(), result.ptr);
}

void append_value(std::string& out, LogFormat format, const LogValue& value) {
  switch (value.kind()) {
    case LogValue::Kind::null: out.append("null"); return;
    case LogValue::Kind::string: append_string(out, format, Slot::value, value.text()); return;
    case LogValue::Kind::int64: append_number(out, value.int64()); return;
    case LogValue::Kind::uint64: append_number(out, value.uint64()); return;
    case LogValue::Kind::float64:
      if (std::isfinite(value.float64())) {
        append_number(out, value.float64());
      } else {
        out.append("null");
      }
      return;
    case LogValue::Kind::boolean: out.append(value.boolean() ? "true" : "false"); return;
  }
}

// append_timestamp writes RFC 3339 UTC with milliseconds. The date-time part is cached per
// thread and only recomputed when the second changes.
void append_timestamp(std::string& out, std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  struct Cache {
    std::int64_t second = INT64_MIN;
    std::array<char, 20> text{};  // "YYYY-MM-DDTHH:MM:SS"
  };
  thread_local Cache cache;
  const auto ms = floor<milliseconds>(time);
  const auto sec = floor<seconds>(ms);
  if (sec.time_since_epoch().count() != cache.second) {
    const auto day = floor<days>(sec);
    const year_month_day ymd{day};
    const hh_mm_ss hms{sec - day};
    const auto put = [&](std::size_t at, unsigned value, std::size_t width) {
      for (std::size_t k = width; k-- > 0; value /= 10) cache.text[at + k] = char('0' + value % 10);
    };
    put(0, static_cast<unsigned>(static_cast<int>(ymd.year())), 4);
    cache.text[4] = '-';
    put(5, static_cast<unsigned>(ymd.month()), 2);
    cache.text[7] = '-';
    put(8, static_cast<unsigned>(ymd.day()), 2);
    cache.text[10] = 'T';
    put(11, static_cast<unsigned>(hms.hours().count()), 2);
    cache.text[13] = ':';
    put(14, static_cast<unsigned>(hms.minutes().count()), 2);
    cache.text[16] = ':';
    put(17, static_cast<unsigned>(hms.seconds().count()), 2);
    cache.second = sec.time_since_epoch().count();
  }
  out.append(cache.text.data(), 19);
  const auto millis = static_cast<unsigned>((ms - sec).count());
  const std::array<char, 5> fraction{'.', char('0' + millis / 100), char('0' + millis / 10 % 10),
                                     char('0' + millis % 10), 'Z'};
  out.append(fraction.data(), fraction.size());
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::optional<LogLevel> parse_log_level(std::string_view text) noexcept {
  if (iequals(text, "debug")) return LogLevel::debug;
  if (iequals(text, "info")) return LogLevel::info;
  if (iequals(text, "warning") || iequals(text, "warn")) return LogLevel::warning;
  if (iequals(text, "error")) return LogLevel::error;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) noexcept {
  if (iequals(text, "json")) return LogFormat::json;
  if (iequals(text, "text")) return LogFormat::text;
  return std::nullopt;
}

void format_log_line(std::string& out, LogFormat format, LogLevel level,
                     std::chrono::system_clock::time_point time, std::string_view msg,
                     std::span<const LogField> fields) {
  static const LogValue redacted_value{kRedacted};
  if (format == LogFormat::json) {
    out.append(R"({"ts":")");
    append_timestamp(out, time);
    out.append(R"(","level":")");
    out.append(to_string(level));
    out.append(R"(","msg":)");
    append_string(out, format, Slot::message, msg);
    for (const LogField& field : fields) {
      out.append(",\"");
      append_escaped(out, field.key, true);
      out.append("\":");
      append_value(out, format, is_sensitive_key(field.key) ? redacted_value : field.value);
    }
    out.append("}\n");
    return;
  }
  append_timestamp(out, time);
  out.push_back(' ');
  out.append(upper_name(level));
  out.push_back(' ');
  append_string(out, format, Slot::message, msg);
  for (const LogField& field : fields) {
    out.push_back(' ');
    append_escaped(out, field.key, true);
    out.push_back('=');
    append_value(out, format, is_sensitive_key(field.key) ? redacted_value : field.value);
  }
  out.push_back('\n');
}

}  // namespace keel::observability
