// keel/errors/error_code.hpp — the one table of API error codes.
//
// Every error a client can see has a stable snake_case `code`, an HTTP status,
// a short title and an RFC 9457 problem `type`. Clients program against the
// code; the table is rendered into the docs (keel::errors::all_errors()).
//
//   throw keel::errors::ApiError(keel::errors::ErrorCode::not_found, "No such item.");
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace keel::errors {

// ErrorCode lists every error the framework and the service report.
enum class ErrorCode : std::uint8_t {
  bad_request,
  invalid_json,
  validation_error,
  invalid_cursor,
  unauthorized,
  invalid_token,
  insufficient_scope,
  forbidden,
  not_found,
  method_not_allowed,
  not_acceptable,
  request_timeout,
  conflict,
  email_taken,
  precondition_failed,
  payload_too_large,
  uri_too_long,
  unsupported_media_type,
  unsupported_file_type,
  range_not_satisfiable,
  rate_limited,
  header_too_large,
  invalid_grant,
  invalid_request,
  invalid_scope,
  unsupported_grant_type,
  untrusted_host,
  https_required,
  internal_error,
  service_unavailable,
  database_unavailable,
  handler_timeout,
};

// ErrorInfo is one row of the table.
struct ErrorInfo {
  ErrorCode code;
  std::string_view name;   // the stable `code` member of problem+json
  int status;              // HTTP status
  std::string_view title;  // short human summary, same for every occurrence
  std::string_view description;  // when clients see it (rendered in the docs)
};

// info returns the table row of `code`.
const ErrorInfo& info(ErrorCode code);

// all_errors returns the whole table, ordered by status.
std::span<const ErrorInfo> all_errors();

// problem_type returns the RFC 9457 `type` URI of `code` ("urn:keel:problem:<code>").
std::string problem_type(ErrorCode code);

}  // namespace keel::errors
