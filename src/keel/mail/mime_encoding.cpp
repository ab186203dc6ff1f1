#include "keel/mail/mime_encoding.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace keel::mail {
namespace {

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// kHeaderWidth is RFC 5322's recommended line width; folding aims below it.
constexpr std::size_t kHeaderWidth = 78;
// kWordBytes of UTF-8 per encoded word: 52 base64 characters, so "=?UTF-8?B?…?=" is 64
// long and fits after "Subject: " within RFC 2047's 76-character line.
constexpr std::size_t kWordBytes = 39;

bool is_ascii_printable(unsigned char c) { return c >= 0x20 && c < 0x7F; }

bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

void append_hex(std::string& out, unsigned char c) {
  out += '=';
  out += kHex[c >> 4];
  out += kHex[c & 0x0F];
}

// encode_qp_line encodes one hard line (no CRLF inside) with soft breaks.
void encode_qp_line(std::string_view line, std::string& out) {
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    const bool at_start = column == 0;
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
    // A line starting with "." can be eaten by a careless relay; "From " gets ">"-quoted by mbox tools.
    if (at_start && (c == '.' || (c == 'F' && line.substr(i).starts_with("From ")))) literal = false;
    const std::size_t width = literal ? 1 : 3;
    // Keep room for the '=' of a soft break unless this is the line's last token.
    const std::size_t limit = last ? kMaxEncodedLine : kMaxEncodedLine - 1;
    if (column + width > limit) {
      out += "=\r\n";
      column = 0;
      // The new line may now start with '.' or "From ": re-check this character.
      --i;
      continue;
    }
    if (literal) {
      out += static_cast<char>(c);
    } else {
      append_hex(out, c);
    }
    column += width;
  }
}

// utf8_chunks splits `text` into pieces of at most kWordBytes that never cut a character.
std::vector<std::string_view> utf8_chunks(std::string_view text) {
  std::vector<std::string_view> chunks;
  while (!text.empty()) {
    std::size_t n = std::min(kWordBytes, text.size());
    if (n < text.size()) {
      std::size_t cut = n;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
      if (cut > 0) n = cut;  // invalid UTF-8 (a long run of continuation bytes) is cut anywhere
    }
    chunks.push_back(text.substr(0, n));
    text.remove_prefix(n);
  }
  return chunks;
}

// encoded_words renders `text` as B encoded words separated by folding whitespace.
std::string encoded_words(std::string_view text) {
  std::string out;
  for (const auto chunk : utf8_chunks(text)) {
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?";
    out += encode_base64(chunk);
    out += "?=";
  }
  return out;
}

// needs_encoded_words says whether plain folding cannot carry `text` faithfully.
bool needs_encoded_words(std::string_view text) {
  if (text.find("=?") != std::string_view::npos) return true;
  if (!std::all_of(text.begin(), text.end(),
                   [](char c) { return is_ascii_printable(static_cast<unsigned char>(c)); })) {
    return true;
  }
  // Folding happens at spaces only; a word too long for a folded line is encoded instead.
  std::size_t word = 0;
  for (const char c : text) {
    word = c == ' ' ? 0 : word + 1;
    if (word > kHeaderWidth - 2) return true;
  }
  // Leading, trailing or doubled spaces would not survive unfolding.
  return text.starts_with(' ') || text.ends_with(' ') || text.find("  ") != std::string_view::npos;
}

}  // namespace

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string encode_quoted_printable(std::string_view crlf_text) {
  std::string out;
  out.reserve(crlf_text.size() + crlf_text.size() / 8);
  while (true) {
    const auto end = crlf_text.find("\r\n");
    encode_qp_line(crlf_text.substr(0, end), out);
    if (end == std::string_view::npos) break;
    out += "\r\n";
    crlf_text.remove_prefix(end + 2);
  }
  return out;
}

std::string encode_base64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kBase64[(v >> 18) & 0x3F];
    out += kBase64[(v >> 12) & 0x3F];
    out += kBase64[(v >> 6) & 0x3F];
    out += kBase64[v & 0x3F];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t v = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16;
    if (rest == 2) v |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8;
    out += kBase64[(v >> 18) & 0x3F];
    out += kBase64[(v >> 12) & 0x3F];
    out += rest == 2 ? kBase64[(v >> 6) & 0x3F] : '=';
    out += '=';
  }
  return out;
}

std::string encode_header(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ':';
  if (needs_encoded_words(value)) {
    out += ' ';
    out += encoded_words(value);
    out += "\r\n";
    return out;
  }
  // Fold before a space once a line would pass the recommended width.
  std::size_t column = out.size();
  std::size_t start = 0;
  while (start <= value.size()) {
    auto end = value.find(' ', start);
    if (end == std::string_view::npos) end = value.size();
    const auto word = value.substr(start, end - start);
    if (column + 1 + word.size() > kHeaderWidth && column > name.size() + 1) {
      out += "\r\n";
      column = 0;
    }
    out += ' ';
    out += word;
    column += 1 + word.size();
    start = end + 1;
  }
  out += "\r\n";
  return out;
}

std::string encode_display_name(std::string_view name) {
  if (needs_encoded_words(name)) return encoded_words(name);
  if (std::all_of(name.begin(), name.end(), [](char c) { return c == ' ' || is_atext(c); }))
    return std::string(name);
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

}  // namespace keel::mail
