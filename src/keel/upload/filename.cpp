#include "keel/upload/filename.hpp"

#include <vector>

namespace keel::upload {
namespace {

constexpr char32_t kReplacement = 0xFFFD;
constexpr std::size_t kMaxKeptExtension = 16;  // bytes of ".ext" kept when a long name is cut

// decode_utf8 decodes `text` into code points; every invalid sequence
// (stray continuation, overlong form, surrogate, beyond U+10FFFF, cut short)
// becomes one U+FFFD.
std::vector<char32_t> decode_utf8(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t code = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
      out.push_back(kReplacement);
      ++i;
      continue;
    }
    std::size_t taken = 1;
    while (taken < length && i + taken < text.size() &&
           (static_cast<unsigned char>(text[i + taken]) & 0xC0) == 0x80) {
      code = (code << 6) | (static_cast<unsigned char>(text[i + taken]) & 0x3F);
      ++taken;
    }
    const bool valid =
        taken == length && code >= minimum && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    out.push_back(valid ? code : kReplacement);
    i += taken;
  }
  return out;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

std::size_t utf8_length(char32_t code) { return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4; }

// is_dropped: control characters could forge log lines or headers, quotes
// break the quoted Content-Disposition value, and bidirectional overrides
// disguise an extension ("invoice\u202Egnp.exe" shows as "invoiceexe.png").
bool is_dropped(char32_t code) {
  return code < 0x20 || code == 0x7F || (code >= 0x80 && code <= 0x9F) || code == '"' ||
         (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069) || code == 0x200E ||
         code == 0x200F;
}

bool is_trimmed(char32_t code) { return code == ' ' || code == '.'; }

std::string encode(const std::vector<char32_t>& codes, std::size_t first, std::size_t last) {
  std::string out;
  for (std::size_t i = first; i < last; ++i) append_utf8(out, codes[i]);
  return out;
}

}  // namespace

std::string sanitize_filename(std::string_view raw) {
  const std::size_t slash = raw.find_last_of("/\\");
  if (slash != std::string_view::npos) raw.remove_prefix(slash + 1);

  std::vector<char32_t> codes;
  for (const char32_t code : decode_utf8(raw)) {
    if (!is_dropped(code)) codes.push_back(code);
  }
  std::size_t first = 0;
  std::size_t last = codes.size();
  while (first < last && is_trimmed(codes[first])) ++first;
  while (last > first && is_trimmed(codes[last - 1])) --last;
  if (first == last) return "file";

  std::size_t bytes = 0;
  for (std::size_t i = first; i < last; ++i) bytes += utf8_length(codes[i]);
  if (bytes <= kMaxFilenameBytes) return encode(codes, first, last);

  // Too long: keep a short extension and cut the stem on a code point boundary.
  std::size_t dot = last;
  for (std::size_t i = last; i > first; --i) {
    if (codes[i - 1] == '.') {
      dot = i - 1;
      break;
    }
  }
  std::string extension = dot > first ? encode(codes, dot, last) : std::string();
  if (extension.size() > kMaxKeptExtension) extension.clear();
  const std::size_t stem_end = extension.empty() ? last : dot;
  std::string stem;
  for (std::size_t i = first; i < stem_end; ++i) {
    if (stem.size() + utf8_length(codes[i]) + extension.size() > kMaxFilenameBytes) break;
    append_utf8(stem, codes[i]);
  }
  return stem + extension;
}

std::string file_extension(std::string_view filename) {
  const std::size_t dot = filename.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  std::string extension(filename.substr(dot + 1));
  for (auto& c : extension) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return extension;
}

std::string content_disposition(std::string_view filename) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  // The fallback is for clients that ignore filename*: printable ASCII only,
  // and no '%' or '\' (some clients decode or unescape them).
  std::string fallback;
  std::string encoded;
  for (const char c : filename) {
    const auto byte = static_cast<unsigned char>(c);
    const bool ascii_safe = byte >= 0x20 && byte < 0x7F && c != '"' && c != '\\' && c != '%';
    fallback.push_back(ascii_safe ? c : '_');
    // RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is %XX.
    const bool attr_char = (byte >= '0' && byte <= '9') || (byte >= 'a' && byte <= 'z') ||
                           (byte >= 'A' && byte <= 'Z') ||
                           std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
    if (attr_char) {
      encoded.push_back(c);
    } else {
      encoded.push_back('%');
      encoded.push_back(kDigits[byte >> 4]);
      encoded.push_back(kDigits[byte & 0x0F]);
    }
  }
  // Each non-ASCII code point's bytes became '_'s; collapse a run to one.
  std::string compact;
  for (std::size_t i = 0; i < filename.size(); ++i) {
    const bool non_ascii = static_cast<unsigned char>(filename[i]) >= 0x80;
    const bool continuation = (static_cast<unsigned char>(filename[i]) & 0xC0) == 0x80;
    if (non_ascii && continuation) continue;
    compact.push_back(fallback[i]);
  }
  return "attachment; filename=\"" + compact + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace keel::upload
