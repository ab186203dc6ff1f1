// keel/http/router.hpp — matches a method and path to a route.
//
//   Router router;
//   router.add(Method::get, "/api/v1/items/{id}", get_item);
//   RouteMatch m = router.match(Method::get, "/api/v1/items/abc");
//   if (m.outcome == RouteMatch::Outcome::found) m.route->handler(request);
//
// A HEAD request matches the GET route. A path that matches some route but
// not with this method is `method_not_allowed`, with the Allow list. A path
// whose `{n:int}` parameter is not an integer is `invalid_param` (422, as
// FastAPI does), so clients learn which parameter was wrong.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/errors/api_error.hpp"
#include "keel/http/route.hpp"

namespace keel::http {

struct RouteMatch {
  enum class Outcome { found, not_found, method_not_allowed, invalid_param };
  Outcome outcome = Outcome::not_found;
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::string allow;                        // "GET, HEAD, PATCH" for method_not_allowed
  std::vector<errors::FieldError> param_errors;  // for invalid_param
};

class Router {
 public:
  // add registers a route; throws std::invalid_argument on a malformed template
  // or a duplicate (method, template). Returned references stay valid.
  Route& add(Method method, std::string path_template, Handler handler);

  // match finds the route for `method` and decoded `path`.
  RouteMatch match(Method method, std::string_view path) const;

  // routes lists every route in registration order (for OpenAPI and tests).
  const std::deque<Route>& routes() const { return routes_; }

 private:
  std::deque<Route> routes_;  // deque: add() never moves earlier routes
};

// parse_path_template splits "/a/{id}/{n:int}" into segments; throws
// std::invalid_argument on an empty name, unknown type or stray brace.
std::vector<PathSegment> parse_path_template(std::string_view path_template);

}  // namespace keel::http
