#include "keel/errors/error_code.hpp"

#include <array>

namespace keel::errors {
namespace {

// Ordered by status, then code: this order is the one the docs render.
constexpr std::array kErrors{
    ErrorInfo{ErrorCode::bad_request, "bad_request", 400, "Bad Request",
              "The request is malformed (bad query parameter, bad header, bad path parameter)."},
    ErrorInfo{ErrorCode::invalid_json, "invalid_json", 400, "Invalid JSON",
              "The body is not valid JSON, or nests deeper than the server allows."},
    ErrorInfo{ErrorCode::invalid_cursor, "invalid_cursor", 400, "Invalid Cursor",
              "A pagination cursor was altered, forged or comes from another query."},
    ErrorInfo{ErrorCode::invalid_grant, "invalid_grant", 400, "Invalid Grant",
              "OAuth2: wrong credentials, or an expired, revoked or reused refresh token."},
    ErrorInfo{ErrorCode::invalid_request, "invalid_request", 400, "Invalid Request",
              "OAuth2: a required form field is missing or repeated."},
    ErrorInfo{ErrorCode::invalid_scope, "invalid_scope", 400, "Invalid Scope",
              "OAuth2: a requested scope is unknown or not grantable to this account."},
    ErrorInfo{ErrorCode::unsupported_grant_type, "unsupported_grant_type", 400,
              "Unsupported Grant Type", "OAuth2: grant_type is neither password nor refresh_token."},
    ErrorInfo{ErrorCode::untrusted_host, "untrusted_host", 400, "Untrusted Host",
              "The Host header names a host that is not in TRUSTED_HOSTS."},
    ErrorInfo{ErrorCode::unauthorized, "unauthorized", 401, "Unauthorized",
              "No credentials were sent to a route that needs them."},
    ErrorInfo{ErrorCode::invalid_token, "invalid_token", 401, "Invalid Token",
              "The bearer token or API key is malformed, expired, revoked or forged."},
    ErrorInfo{ErrorCode::insufficient_scope, "insufficient_scope", 403, "Insufficient Scope",
              "The credentials are valid but lack a scope the route requires."},
    ErrorInfo{ErrorCode::forbidden, "forbidden", 403, "Forbidden",
              "The action is not allowed for this account."},
    ErrorInfo{ErrorCode::https_required, "https_required", 403, "HTTPS Required",
              "FORCE_HTTPS is on and a non-idempotent request came over plain HTTP."},
    ErrorInfo{ErrorCode::not_found, "not_found", 404, "Not Found",
              "No route matches the path, or the resource does not exist (or is not yours)."},
    ErrorInfo{ErrorCode::method_not_allowed, "method_not_allowed", 405, "Method Not Allowed",
              "The path exists but not with this method; see the Allow header."},
    ErrorInfo{ErrorCode::not_acceptable, "not_acceptable", 406, "Not Acceptable",
              "The Accept header excludes every media type the route can produce."},
    ErrorInfo{ErrorCode::request_timeout, "request_timeout", 408, "Request Timeout",
              "The client did not send the request head or body within READ_TIMEOUT_MS."},
    ErrorInfo{ErrorCode::conflict, "conflict", 409, "Conflict",
              "The request conflicts with the current state of the resource."},
    ErrorInfo{ErrorCode::email_taken, "email_taken", 409, "Email Taken",
              "An account with this email address already exists."},
    ErrorInfo{ErrorCode::precondition_failed, "precondition_failed", 412, "Precondition Failed",
              "If-Match names a version that is no longer current."},
    ErrorInfo{ErrorCode::payload_too_large, "payload_too_large", 413, "Payload Too Large",
              "The body is larger than the route's limit (MAX_BODY_BYTES or UPLOAD_MAX_BYTES)."},
    ErrorInfo{ErrorCode::uri_too_long, "uri_too_long", 414, "URI Too Long",
              "The request target is longer than the server accepts."},
    ErrorInfo{ErrorCode::unsupported_file_type, "unsupported_file_type", 415, "Unsupported File Type",
              "An uploaded file's type is not in UPLOAD_ALLOWED_TYPES, or its content, declared type and "
              "file name extension disagree."},
    ErrorInfo{ErrorCode::unsupported_media_type, "unsupported_media_type", 415,
              "Unsupported Media Type", "The Content-Type is not one the route accepts."},
    ErrorInfo{ErrorCode::range_not_satisfiable, "range_not_satisfiable", 416, "Range Not Satisfiable",
              "The Range header asks for bytes past the end of the file; see Content-Range for its size."},
    ErrorInfo{ErrorCode::validation_error, "validation_error", 422, "Validation Error",
              "The body or a parameter failed validation; `errors` lists every failing field."},
    ErrorInfo{ErrorCode::rate_limited, "rate_limited", 429, "Too Many Requests",
              "The client exhausted its rate-limit budget; retry after Retry-After seconds."},
    ErrorInfo{ErrorCode::header_too_large, "header_too_large", 431,
              "Request Header Fields Too Large", "The request's header section is too large."},
    ErrorInfo{ErrorCode::internal_error, "internal_error", 500, "Internal Server Error",
              "An unexpected error; it is logged with the request id, which support can look up."},
    ErrorInfo{ErrorCode::service_unavailable, "service_unavailable", 503, "Service Unavailable",
              "The server is overloaded or shutting down; retry after Retry-After seconds."},
    ErrorInfo{ErrorCode::database_unavailable, "database_unavailable", 503,
              "Database Unavailable", "The database did not answer within DATABASE_TIMEOUT_MS."},
    ErrorInfo{ErrorCode::handler_timeout, "handler_timeout", 503, "Handler Timeout",
              "The request took longer than HANDLER_TIMEOUT_MS to process."},
};

constexpr bool table_is_complete() {
  for (std::size_t i = 0; i < kErrors.size(); ++i) {
    for (std::size_t j = i + 1; j < kErrors.size(); ++j) {
      if (kErrors[i].code == kErrors[j].code) return false;
    }
  }
  return kErrors.size() == static_cast<std::size_t>(ErrorCode::handler_timeout) + 1;
}
static_assert(table_is_complete(), "every ErrorCode needs exactly one row in kErrors");

}  // namespace

const ErrorInfo& info(ErrorCode code) {
  for (const auto& row : kErrors) {
    if (row.code == code) return row;
  }
  return kErrors.front();  // unreachable: table_is_complete() proves every code has a row
}

std::span<const ErrorInfo> all_errors() { return kErrors; }

std::string problem_type(ErrorCode code) {
  return "urn:keel:problem:" + std::string(info(code).name);
}

}  // namespace keel::errors
