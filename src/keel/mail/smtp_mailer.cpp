#include "keel/mail/smtp_mailer.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>

namespace keel::mail {
namespace {

// percent_decode decodes %XX escapes; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    unsigned value = 0;
    for (std::size_t k = 1; k <= 2; ++k) {
      const char c = s[i + k];
      value <<= 4U;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return std::nullopt;
      }
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

bool is_loopback(std::string_view host) {
  return host == "localhost" || host.starts_with("127.") || host == "[::1]";
}

void global_init() {
  // curl_global_init is not thread-safe everywhere; once per process, before any handle.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct UploadCursor {
  std::string_view data;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* cursor = static_cast<UploadCursor*>(user);
  const std::size_t n = std::min(size * count, cursor->data.size());
  std::memcpy(buffer, cursor->data.data(), n);
  cursor->data.remove_prefix(n);
  return n;
}

// redact blanks `secret` wherever it appears (a server could echo it in a reply).
void redact(std::string& text, std::string_view secret) {
  if (secret.empty()) return;
  for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "***");
  }
}

}  // namespace

SmtpMailer::SmtpMailer(std::string_view smtp_url, std::string from, SmtpOptions options)
    : from_(std::move(from)), options_(std::move(options)) {
  global_init();
  const auto sender = parse_mailbox(from_);
  if (!sender) throw MailError("EMAIL_FROM is not a valid sender address", true);
  envelope_from_ = sender->address;

  std::string_view rest = smtp_url;
  std::string_view scheme;
  if (rest.starts_with("smtp://")) {
    scheme = "smtp";
  } else if (rest.starts_with("smtps://")) {
    scheme = "smtps";
    implicit_tls_ = true;
  } else {
    throw MailError("SMTP_URL must start with smtp:// or smtps://", true);
  }
  rest.remove_prefix(scheme.size() + 3);
  const auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    auto user = percent_decode(userinfo.substr(0, colon));
    auto password =
        percent_decode(colon == std::string_view::npos ? std::string_view{} : userinfo.substr(colon + 1));
    if (!user || !password) throw MailError("SMTP_URL has a malformed %-escape in its credentials", true);
    username_ = std::move(*user);
    password_ = std::move(*password);
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw MailError("SMTP_URL has an unterminated [IPv6] host", true);
    host = authority.substr(0, close + 1);
  } else if (const auto colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
  }
  if (host.empty()) throw MailError("SMTP_URL has no host", true);
  endpoint_ = std::string(authority);
  // The URL's path is the EHLO name; default to the sender's domain rather than curl's "localhost".
  if (path.empty() || path == "/") path = {};
  url_ = std::string(scheme) + "://" + endpoint_ +
         (path.empty() ? "/" + envelope_from_.substr(envelope_from_.rfind('@') + 1) : std::string(path));
  require_starttls_ = !implicit_tls_ && !username_.empty() && !is_loopback(host);
}

void SmtpMailer::send(const Message& message) {
  const std::string eml = build_mime(message, from_, std::chrono::system_clock::now());

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw MailError("cannot initialise libcurl", false);
  CURL* h = curl.get();
  const std::string mail_from = "<" + envelope_from_ + ">";
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> recipients(
      curl_slist_append(nullptr, ("<" + message.to + ">").c_str()), curl_slist_free_all);
  UploadCursor cursor{eml};
  std::array<char, CURL_ERROR_SIZE> error{};

  curl_easy_setopt(h, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // worker threads: no SIGALRM-based DNS timeouts
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error.data());
  if (!implicit_tls_) {
    curl_easy_setopt(h, CURLOPT_USE_SSL,
                     static_cast<long>(require_starttls_ ? CURLUSESSL_ALL : CURLUSESSL_TRY));
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!username_.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, username_.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password_.c_str());
  }
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(h, CURLOPT_READDATA, &cursor);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(eml.size()));

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return;
  long reply = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply);
  std::string what = "SMTP delivery via " + endpoint_ + " failed: " + curl_easy_strerror(rc);
  if (error[0] != '\0') what += std::string(" (") + error.data() + ")";
  if (reply != 0) what += " [last reply " + std::to_string(reply) + "]";
  redact(what, password_);
  // A 5xx to MAIL, RCPT or DATA is the server's final word on this message. Refused or
  // missing authentication (RFC 4954: 530, 534, 535, 538) is a configuration problem that
  // a later attempt, after the fix, gets past: the queued mail must not be dropped for it.
  const bool auth_problem =
      rc == CURLE_LOGIN_DENIED || reply == 530 || reply == 534 || reply == 535 || reply == 538;
  const bool permanent = reply >= 500 && reply < 600 && !auth_problem;
  throw MailError(what, permanent);
}

}  // namespace keel::mail
