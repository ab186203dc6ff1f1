#include "keel/mail/message.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <random>

#include "keel/mail/mime_encoding.hpp"

namespace keel::mail {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

bool is_atext(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool is_valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  if (local.find("..") != std::string_view::npos) return false;
  return std::all_of(local.begin(), local.end(), [](char c) { return c == '.' || is_atext(c); });
}

bool is_valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  while (true) {
    const auto dot = domain.find('.');
    const auto label = domain.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) { return c == '-' || is_alnum(c); }))
      return false;
    if (dot == std::string_view::npos) return true;
    domain.remove_prefix(dot + 1);
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// unquote removes a display name's surrounding quotes and backslash escapes.
std::string unquote(std::string_view name) {
  if (name.size() < 2 || name.front() != '"' || name.back() != '"') return std::string(name);
  std::string out;
  for (std::size_t i = 1; i + 1 < name.size(); ++i) {
    if (name[i] == '\\' && i + 2 < name.size()) ++i;
    out += name[i];
  }
  return out;
}

// text_part is a part's headers and encoded body; the body ends as the original did
// (with or without a final line break), so callers add the CRLF that closes it.
std::string text_part(std::string_view content_type, std::string_view body) {
  std::string part = "Content-Type: ";
  part += content_type;
  part += "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
  part += encode_quoted_printable(to_crlf(body));
  return part;
}

}  // namespace

bool is_valid_address(std::string_view address) {
  if (address.size() > 254) return false;
  const auto at = address.rfind('@');
  return at != std::string_view::npos && is_valid_local_part(address.substr(0, at)) &&
         is_valid_domain(address.substr(at + 1));
}

std::optional<Mailbox> parse_mailbox(std::string_view text) {
  if (has_control(text)) return std::nullopt;
  text = trim(text);
  Mailbox box;
  if (const auto open = text.rfind('<'); open != std::string_view::npos) {
    if (!text.ends_with('>')) return std::nullopt;
    box.address = std::string(text.substr(open + 1, text.size() - open - 2));
    box.display_name = unquote(trim(text.substr(0, open)));
  } else {
    box.address = std::string(text);
  }
  if (!is_valid_address(box.address)) return std::nullopt;
  return box;
}

std::string format_date(std::chrono::system_clock::time_point t) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  std::array<char, 40> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays.at(tm.tm_wday),
                tm.tm_mday, kMonths.at(tm.tm_mon), tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer.data();
}

std::string random_hex(std::size_t bytes) {
  // Uniqueness, not secrecy, is needed here; random_device reads the kernel's generator.
  thread_local std::random_device device;
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<unsigned>(device()) & 0xFFU;
    out += kHex[b >> 4];
    out += kHex[b & 0x0FU];
  }
  return out;
}

std::string build_mime(const Message& message, std::string_view from,
                       std::chrono::system_clock::time_point now) {
  const auto sender = parse_mailbox(from);
  if (!sender) throw MailError("invalid sender address (EMAIL_FROM)", true);
  if (has_control(message.to) || !is_valid_address(message.to))
    throw MailError("invalid recipient address", true);
  if (has_control(message.subject)) throw MailError("the subject holds a control character (CR/LF?)", true);

  const std::string domain = sender->address.substr(sender->address.rfind('@') + 1);
  std::string out = "From: ";
  if (!sender->display_name.empty()) out += encode_display_name(sender->display_name) + " ";
  out += "<" + sender->address + ">\r\n";
  out += "To: <" + message.to + ">\r\n";
  out += encode_header("Subject", message.subject);
  out += "Date: " + format_date(now) + "\r\n";
  out += "Message-ID: <" + random_hex(16) + "@" + domain + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  // RFC 3834: tells vacation responders not to answer a transactional message.
  out += "Auto-Submitted: auto-generated\r\n";
  if (!message.html_body) {
    out += text_part("text/plain", message.text_body);
    if (!out.ends_with("\r\n")) out += "\r\n";
    return out;
  }

  // "=_" never occurs in quoted-printable output, so the boundary cannot clash with a body.
  const std::string boundary = "=_keel_" + random_hex(12);
  out += "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  // The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1): a body's own
  // final line break is kept by writing one more.
  out += "--" + boundary + "\r\n" + text_part("text/plain", message.text_body);
  out += "\r\n--" + boundary + "\r\n" + text_part("text/html", *message.html_body);
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace keel::mail
