// keel/app/problem.hpp — RFC 9457 problem+json responses.
//
// Every error response of Keel is built here, so they all share one shape:
//   {"type","title","status","detail","instance","code","request_id"[,"errors"]}
//
//   return problem_response(ApiError(ErrorCode::not_found, "Item not found."), request);
#pragma once

#include "keel/errors/api_error.hpp"
#include "keel/http/request.hpp"
#include "keel/http/response.hpp"

namespace keel::app {

// problem_response renders `error` for `request`: the request's path is the
// `instance`, its request id is `request_id`, the error's headers are copied.
http::Response problem_response(const errors::ApiError& error, const http::Request& request);

}  // namespace keel::app
