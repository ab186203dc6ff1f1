// keel/mail/mime_encoding.hpp — the byte encodings an email needs (RFC 2045, RFC 2047).
//
// Mail is a 7-bit, line-oriented format: bodies go out as quoted-printable
// (readable where the text is ASCII, every line ≤ 76 characters) and non-ASCII
// header text as RFC 2047 encoded words. build_mime (message.hpp) is the only
// intended caller; the functions are public so their tests can pin the edge cases.
//
//   std::string body = encode_quoted_printable(to_crlf("Grüße\n"));   // "Gr=C3=BC=C3=9Fe\r\n"
//   std::string line = encode_header("Subject", "Grüße — reset");       // "Subject: =?UTF-8?B?...?=\r\n"
#pragma once

#include <string>
#include <string_view>

namespace keel::mail {

// kMaxEncodedLine is RFC 2045's limit for quoted-printable and base64 lines (CRLF excluded).
inline constexpr std::size_t kMaxEncodedLine = 76;

// to_crlf turns every line break (CRLF, bare LF, bare CR) into CRLF, the only one mail allows.
std::string to_crlf(std::string_view text);

// encode_quoted_printable encodes CRLF-delimited text (RFC 2045 §6.7): lines of at most 76
// characters with soft breaks, '=' and non-ASCII bytes as =XX, trailing spaces encoded, and a
// leading '.' or "From " encoded so no relay rewrites the line.
std::string encode_quoted_printable(std::string_view crlf_text);

// encode_base64 encodes `bytes` with the standard alphabet and padding, on one line.
std::string encode_base64(std::string_view bytes);

// encode_header returns "Name: value\r\n" for an unstructured header (Subject), folded
// under 78 columns: plain ASCII words stay readable; anything else (non-ASCII, a
// "=?" look-alike, over-long words) becomes UTF-8 B encoded words of whole characters.
// `value` must hold no control characters (build_mime checks).
std::string encode_header(std::string_view name, std::string_view value);

// encode_display_name returns a display name as it may appear before "<address>":
// atoms as-is, other ASCII as a quoted string, non-ASCII as encoded words.
std::string encode_display_name(std::string_view name);

}  // namespace keel::mail
