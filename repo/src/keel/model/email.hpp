// keel/model/email.hpp — the e-mail address syntax check behind email().
//
// A practical subset of RFC 5321/5322, the addresses a mail server will
// actually route: `local@domain`, the local part a dot-atom (letters, digits
// and !#$%&'*+/=?^_`{|}~- separated by single dots, at most 64 bytes), the
// domain at least two dot-separated labels of letters, digits and inner
// hyphens (each 1–63 bytes, the last not all digits), at most 254 bytes in
// all. Quoted local parts, comments, IP-literal domains and raw non-ASCII
// (internationalised addresses must arrive in punycode) are refused. Case is
// left alone: normalising is the caller's business.
//
//   if (auto why = keel::model::email_error(text); !why.empty()) reject(why);
#pragma once

#include <string_view>

namespace keel::model {

// email_error returns why `address` is not an acceptable e-mail address, as a
// short sentence safe to show a client, or an empty view when it is acceptable.
std::string_view email_error(std::string_view address);

}  // namespace keel::model
