#include "keel/http/router.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace keel::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (path.empty() || path.front() != '/') return parts;
  path.remove_prefix(1);
  if (path.empty()) return parts;  // "/" has no segments
  while (true) {
    const auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && ptr == end;
}

// Specificity ranks overlapping templates: at the first position where two
// routes differ, a literal beats a parameter ("/users/me" before "/users/{id}").
using Specificity = std::vector<bool>;

Specificity specificity_of(const Route& route) {
  Specificity literal_positions;
  literal_positions.reserve(route.segments.size());
  for (const auto& segment : route.segments) {
    literal_positions.push_back(segment.kind == PathSegment::Kind::literal);
  }
  return literal_positions;
}

void append_allow(std::string& allow, std::string_view method) {
  if (allow.find(method) != std::string::npos) return;
  if (!allow.empty()) allow += ", ";
  allow += method;
}

}  // namespace

std::vector<PathSegment> parse_path_template(std::string_view path_template) {
  if (path_template.empty() || path_template.front() != '/') {
    throw std::invalid_argument("route template must start with '/': " + std::string(path_template));
  }
  std::vector<PathSegment> segments;
  for (const auto part : split_path(path_template)) {
    PathSegment segment;
    if (!part.empty() && part.front() == '{') {
      if (part.back() != '}' || part.size() < 3) {
        throw std::invalid_argument("malformed parameter in route template: " + std::string(path_template));
      }
      auto inner = part.substr(1, part.size() - 2);
      const auto colon = inner.find(':');
      const auto type = colon == std::string_view::npos ? std::string_view{"str"} : inner.substr(colon + 1);
      inner = inner.substr(0, colon);
      if (inner.empty()) throw std::invalid_argument("empty parameter name in: " + std::string(path_template));
      if (type == "str") {
        segment.kind = PathSegment::Kind::string_param;
      } else if (type == "int") {
        segment.kind = PathSegment::Kind::int_param;
      } else {
        throw std::invalid_argument("unknown parameter type '" + std::string(type) + "' in: " +
                                    std::string(path_template));
      }
      segment.text = std::string(inner);
    } else {
      if (part.find_first_of("{}") != std::string_view::npos) {
        throw std::invalid_argument("stray brace in route template: " + std::string(path_template));
      }
      segment.text = std::string(part);
    }
    segments.push_back(std::move(segment));
  }
  return segments;
}

Route& Router::add(Method method, std::string path_template, Handler handler) {
  auto segments = parse_path_template(path_template);
  for (const auto& existing : routes_) {
    if (existing.method == method && existing.path_template == path_template) {
      throw std::invalid_argument("duplicate route: " + std::string(to_string(method)) + " " + path_template);
    }
  }
  Route& route = routes_.emplace_back();
  route.method = method;
  route.path_template = std::move(path_template);
  route.segments = std::move(segments);
  route.handler = std::move(handler);
  return route;
}

RouteMatch Router::match(Method method, std::string_view path) const {
  const auto parts = split_path(path);
  RouteMatch result;
  const Route* best = nullptr;
  Specificity best_specificity;
  std::vector<errors::FieldError> best_param_errors;
  const Route* best_with_bad_param = nullptr;

  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    bool shape_matches = true;
    std::vector<errors::FieldError> param_errors;
    for (std::size_t i = 0; i < parts.size() && shape_matches; ++i) {
      const auto& segment = route.segments[i];
      switch (segment.kind) {
        case PathSegment::Kind::literal:
          shape_matches = segment.text == parts[i];
          break;
        case PathSegment::Kind::string_param:
          shape_matches = !parts[i].empty();
          break;
        case PathSegment::Kind::int_param:
          shape_matches = !parts[i].empty();
          if (shape_matches && !is_integer(parts[i])) {
            param_errors.push_back({{std::string("path"), segment.text},
                                    "Input should be a valid integer",
                                    "int_parsing"});
          }
          break;
      }
    }
    if (!shape_matches) continue;

    const bool method_matches = route.method == method || (method == Method::head && route.method == Method::get);
    append_allow(result.allow, to_string(route.method));
    if (route.method == Method::get) append_allow(result.allow, "HEAD");
    if (!method_matches) continue;

    auto specificity = specificity_of(route);
    if (!param_errors.empty()) {
      if (!best_with_bad_param) {
        best_with_bad_param = &route;
        best_param_errors = std::move(param_errors);
      }
      continue;
    }
    // A route registered for HEAD itself wins over the GET fallback.
    const bool exact_method_beats = best && best->method != method && route.method == method &&
                                    specificity == best_specificity;
    if (!best || std::lexicographical_compare(best_specificity.begin(), best_specificity.end(),
                                              specificity.begin(), specificity.end()) ||
        exact_method_beats) {
      best = &route;
      best_specificity = std::move(specificity);
    }
  }

  if (best) {
    result.outcome = RouteMatch::Outcome::found;
    result.route = best;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (best->segments[i].kind != PathSegment::Kind::literal) {
        result.params.emplace_back(best->segments[i].text, std::string(parts[i]));
      }
    }
    result.allow.clear();
    return result;
  }
  if (best_with_bad_param) {
    result.outcome = RouteMatch::Outcome::invalid_param;
    result.route = best_with_bad_param;
    result.param_errors = std::move(best_param_errors);
    result.allow.clear();
    return result;
  }
  result.outcome = result.allow.empty() ? RouteMatch::Outcome::not_found : RouteMatch::Outcome::method_not_allowed;
  return result;
}

}  // namespace keel::http
