#include "service/auth/token_form.hpp"

#include <algorithm>
#include <set>
#include <string_view>
#include <utility>

#include "keel/http/request.hpp"
#include "service/auth/oauth.hpp"

namespace service::auth {
namespace {

// kFields maps form parameter names to TokenForm members; others are ignored.
constexpr std::pair<std::string_view, std::string TokenForm::*> kFields[] = {
    {"grant_type", &TokenForm::grant_type},       {"username", &TokenForm::username},
    {"password", &TokenForm::password},           {"scope", &TokenForm::scope},
    {"refresh_token", &TokenForm::refresh_token}, {"client_id", &TokenForm::client_id},
    {"client_secret", &TokenForm::client_secret},
};

}  // namespace

TokenForm parse_token_form(std::string_view body) {
  using keel::errors::ErrorCode;
  TokenForm form;
  std::set<std::string, std::less<>> seen;
  std::size_t at = 0;
  while (at <= body.size()) {
    const auto end = std::min(body.find('&', at), body.size());
    const auto pair = body.substr(at, end - at);
    at = end + 1;
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    auto name = keel::http::percent_decode(pair.substr(0, equals), true);
    auto value = keel::http::percent_decode(
        equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1), true);
    if (!name || !value) throw oauth_error(ErrorCode::invalid_request, "The form body is malformed.");
    if (value->empty()) continue;  // sent without a value: omitted (RFC 6749 §3.2)
    if (!seen.insert(*name).second) {
      throw oauth_error(ErrorCode::invalid_request, "A form parameter is repeated.");
    }
    for (const auto& [field, member] : kFields) {
      if (*name == field) form.*member = std::move(*value);
    }
  }
  return form;
}

}  // namespace service::auth
