// keel/app/json_body.hpp — typed JSON in and out of handlers.
//
//   auto input = parse_body<WidgetCreate>(request);      // 400 invalid_json / 422 validation_error
//   return json_response(201, widget);
#pragma once

#include "keel/errors/api_error.hpp"
#include "keel/http/request.hpp"
#include "keel/http/response.hpp"
#include "keel/model/model.hpp"

namespace keel::app {

// parse_body parses the request body as T, or throws the ApiError a client
// should see (an empty body is a 422 "missing" at ["body"], like FastAPI).
template <class T>
T parse_body(const http::Request& request) {
  if (request.body.empty()) {
    throw errors::ApiError(errors::ErrorCode::validation_error, "A JSON request body is required.",
                           {errors::FieldError{{std::string("body")}, "Field required", "missing"}});
  }
  return model::parse_json<T>(request.body).value_or_throw();
}

// json_response serialises `value` (a model) as the response body.
template <class T>
http::Response json_response(int status, const T& value) {
  return http::Response::json(status, model::to_json_text(value));
}

}  // namespace keel::app
