#include "keel/model/utf8.hpp"

namespace keel::model {
namespace {

// sequence_length returns the byte length of the well-formed UTF-8 sequence at
// the start of `text`, or 0 when there is none (RFC 3629 §4 table).
std::size_t sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto in = [&](std::size_t i, unsigned lo, unsigned hi) {
    return i < text.size() && byte(i) >= lo && byte(i) <= hi;
  };
  const unsigned lead = byte(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    // E0 needs A0.. (no overlongs); ED needs ..9F (no UTF-16 surrogates).
    const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = lead == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    // F0 needs 90.. (no overlongs); F4 needs ..8F (nothing above U+10FFFF).
    const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    // ASCII fast path: most API strings are mostly ASCII.
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      ++count;
      continue;
    }
    const std::size_t n = sequence_length(text.substr(i));
    if (n == 0) return std::nullopt;
    i += n;
    ++count;
  }
  return count;
}

std::string utf8_excerpt(std::string_view text, std::size_t max_bytes) {
  if (!utf8_length(text)) return "\uFFFD";
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t n = sequence_length(text.substr(end));
    if (end + n > max_bytes) break;
    end += n;
  }
  return std::string(text.substr(0, end)) + "\u2026";
}

}  // namespace keel::model
