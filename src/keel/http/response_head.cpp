#include "keel/http/response_head.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ostream>  // boost/beast/http/status.hpp uses std::ostream without including it
#include <vector>

#include <boost/beast/http/status.hpp>

namespace keel::http {
namespace {

namespace bhttp = boost::beast::http;

// kTypicalHeadBytes is reserved up front so that a connection's first
// response grows its buffer once; later ones reuse the capacity.
constexpr std::size_t kTypicalHeadBytes = 512;

// has_zero_byte says whether any byte of `word` is zero (exact: no false positives).
constexpr bool has_zero_byte(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighBits = 0x8080808080808080;
  return ((word - kOnes) & ~word & kHighBits) != 0;
}

// is_safe_field_text rejects CR, LF and NUL. It tests eight bytes at a time:
// values such as Content-Security-Policy run to a hundred bytes and more, on
// every response, and a byte loop was the top symbol of the /health profile.
bool is_safe_field_text(std::string_view text) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  std::size_t i = 0;
  for (; i + sizeof(std::uint64_t) <= text.size(); i += sizeof(std::uint64_t)) {
    std::uint64_t word = 0;
    std::memcpy(&word, text.data() + i, sizeof(word));
    if (has_zero_byte(word) || has_zero_byte(word ^ (kOnes * '\r')) || has_zero_byte(word ^ (kOnes * '\n'))) {
      return false;
    }
  }
  for (; i < text.size(); ++i) {
    if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0') return false;
  }
  return true;
}

// trim_value drops the spaces and tabs around a value, as Beast did; most
// values have none, which the first tests find without a search.
std::string_view trim_value(std::string_view value) {
  const auto is_blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!value.empty() && is_blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_blank(value.back())) value.remove_suffix(1);
  return value;
}

// same_name compares field names; the inline length check spares most pairs
// the call (every field is compared with every other to find duplicates).
bool same_name(std::string_view a, std::string_view b) { return a.size() == b.size() && iequals(a, b); }

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.push_back(':');
  out.push_back(' ');
  out.append(value);
  out.push_back('\r');
  out.push_back('\n');
}

// sent_before says whether a field named like fields[index] was written
// earlier, together with its group (Beast kept duplicate names adjacent, at
// the place of the first one).
bool sent_before(const std::vector<Headers::Field>& fields, std::size_t index) {
  const std::string_view name = fields[index].first;
  for (std::size_t i = 0; i < index; ++i) {
    if (same_name(fields[i].first, name) && is_passed_through(fields[i].first, fields[i].second)) return true;
  }
  return false;
}

}  // namespace

bool is_passed_through(std::string_view name, std::string_view value) {
  return !name.empty() && !same_name(name, "Content-Length") && !same_name(name, "Transfer-Encoding") &&
         !same_name(name, "Connection") && is_safe_field_text(name) && is_safe_field_text(value);
}

void write_response_head(std::string& out, const ResponseFraming& framing, const Headers& headers,
                         std::string_view date) {
  out.clear();
  out.reserve(kTypicalHeadBytes);

  const auto status = static_cast<unsigned>(framing.status);
  out.append(framing.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  const std::array<char, 4> code{static_cast<char>('0' + status / 100 % 10),
                                 static_cast<char>('0' + status / 10 % 10),
                                 static_cast<char>('0' + status % 10), ' '};
  out.append(code.data(), code.size());
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");

  const auto& fields = headers.fields();
  bool has_date = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& [name, value] = fields[i];
    if (!is_passed_through(name, value) || sent_before(fields, i)) continue;
    has_date = has_date || iequals(name, "Date");
    append_field(out, name, trim_value(value));
    for (std::size_t j = i + 1; j < fields.size(); ++j) {
      const auto& [other_name, other_value] = fields[j];
      if (same_name(other_name, name) && is_passed_through(other_name, other_value)) {
        append_field(out, other_name, trim_value(other_value));
      }
    }
  }
  if (!has_date) append_field(out, "Date", date);
  // Persistence is HTTP/1.1's default and HTTP/1.0's exception.
  if (framing.version == 10 && framing.keep_alive) append_field(out, "Connection", "keep-alive");
  if (framing.version != 10 && !framing.keep_alive) append_field(out, "Connection", "close");
  if (framing.content_length) {
    std::array<char, 24> digits{};
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), *framing.content_length).ptr;
    append_field(out, "Content-Length",
                 std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
  }
  out.append("\r\n");
}

}  // namespace keel::http
