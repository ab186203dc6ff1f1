#include "keel/app/content_negotiation.hpp"

#include "keel/http/headers.hpp"

namespace keel::app {
namespace {

// quality_of returns the q parameter of one media range ("text/*;q=0.5"), 1 by default.
double quality_of(std::string_view parameters) {
  while (!parameters.empty()) {
    const auto semicolon = parameters.find(';');
    const auto parameter = http::trim_whitespace(parameters.substr(0, semicolon));
    parameters = semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
    if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
      try {
        return std::stod(std::string(parameter.substr(2)));
      } catch (const std::exception&) {
        return 0.0;  // an unreadable weight admits nothing
      }
    }
  }
  return 1.0;
}

bool range_matches(std::string_view range, std::string_view media_type) {
  if (range == "*/*") return true;
  const auto slash = media_type.find('/');
  if (range.size() > 2 && range.substr(range.size() - 2) == "/*") {
    return http::iequals(range.substr(0, range.size() - 1), media_type.substr(0, slash + 1));
  }
  return http::iequals(range, media_type);
}

}  // namespace

bool accepts_any(std::optional<std::string_view> accept, const std::vector<std::string>& produced) {
  if (!accept || http::trim_whitespace(*accept).empty()) return true;
  std::string_view remaining = *accept;
  while (!remaining.empty()) {
    const auto comma = remaining.find(',');
    const auto element = remaining.substr(0, comma);
    remaining = comma == std::string_view::npos ? std::string_view{} : remaining.substr(comma + 1);
    const auto semicolon = element.find(';');
    const auto range = http::trim_whitespace(element.substr(0, semicolon));
    const double quality = semicolon == std::string_view::npos ? 1.0 : quality_of(element.substr(semicolon + 1));
    if (quality <= 0.0) continue;
    for (const auto& media_type : produced) {
      if (range_matches(range, media_type)) return true;
    }
  }
  return false;
}

}  // namespace keel::app
