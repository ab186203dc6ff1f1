#include "keel/http/request.hpp"

namespace keel::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// for_each_query_pair calls visit(raw_name, raw_value) for every '&'-separated
// pair; stops early when visit returns true.
template <class Visit>
void for_each_query_pair(std::string_view query, Visit visit) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto name = pair.substr(0, eq);
    const auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (visit(name, value)) return;
  }
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool split_target(std::string_view target, std::string& path, std::string& query) {
  // RFC 9112 §3.2.2: servers accept the absolute form ("http://host/path") that
  // some proxies send; routing only needs its path and query.
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (target.size() > scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      const auto path_start = target.find_first_of("/?", scheme.size());
      if (path_start == std::string_view::npos) {
        target = "/";
      } else {
        target = target.substr(path_start);
        if (target.front() == '?') return false;
      }
      break;
    }
  }
  if (target.empty() || target.front() != '/') return false;
  const auto question = target.find('?');
  const auto raw_path = target.substr(0, question);
  auto decoded = percent_decode(raw_path, false);
  // A decoded NUL or a path that decodes into new segments is refused: the
  // router must see the segments the client sent.
  if (!decoded || decoded->find('\0') != std::string::npos) return false;
  path = std::move(*decoded);
  query = question == std::string_view::npos ? std::string{} : std::string(target.substr(question + 1));
  const auto hash = query.find('#');
  if (hash != std::string::npos) query.resize(hash);
  return true;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::optional<std::string> found;
  for_each_query_pair(query, [&](std::string_view raw_name, std::string_view raw_value) {
    auto decoded_name = percent_decode(raw_name, true);
    if (!decoded_name || *decoded_name != name) return false;
    found = percent_decode(raw_value, true).value_or(std::string{});
    return true;
  });
  return found;
}

std::vector<std::pair<std::string, std::string>> Request::query_params() const {
  std::vector<std::pair<std::string, std::string>> pairs;
  for_each_query_pair(query, [&](std::string_view raw_name, std::string_view raw_value) {
    pairs.emplace_back(percent_decode(raw_name, true).value_or(std::string{}),
                       percent_decode(raw_value, true).value_or(std::string{}));
    return false;
  });
  return pairs;
}

std::string_view Request::path_param(std::string_view name) const {
  for (const auto& [param_name, value] : context.path_params) {
    if (param_name == name) return value;
  }
  return {};
}

std::string Request::content_type() const {
  const auto value = headers.get("Content-Type");
  if (!value) return {};
  std::string lowered(trim_whitespace(value->substr(0, value->find(';'))));
  for (auto& c : lowered) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lowered;
}

}  // namespace keel::http
