// keel/errors/api_error.hpp — the error vocabulary of the handler layer.
//
// Handlers and the code they call report an expected failure by throwing
// ApiError; the pipeline's error-mapping stage turns it into problem+json.
// Anything else that escapes a handler becomes a logged 500 `internal_error`
// whose body says nothing internal.
//
//   if (!item) throw ApiError(ErrorCode::not_found, "Item not found.");
//   throw ApiError(ErrorCode::validation_error, "Invalid body.", std::move(field_errors));
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "keel/errors/error_code.hpp"

namespace keel::errors {

// FieldError is one entry of the 422 `errors` array, in FastAPI/Pydantic's
// shape: {"loc": ["body", "tags", 3], "msg": "...", "type": "string_too_long"}.
struct FieldError {
  using LocPart = std::variant<std::string, std::size_t>;
  std::vector<LocPart> loc;
  std::string msg;
  std::string type;

  friend bool operator==(const FieldError&, const FieldError&) = default;
};

// ApiError is an expected, client-visible failure: its `detail` and `errors`
// are shown to the client, so they must never contain secrets or internals.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string detail, std::vector<FieldError> errors = {})
      : std::runtime_error(detail), code_(code), detail_(std::move(detail)),
        errors_(std::move(errors)) {}

  // with_header adds a response header (Retry-After, WWW-Authenticate, Allow…).
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  // with_member adds a top-level problem member (e.g. OAuth2's `error`);
  // `json_value` is serialised JSON.
  ApiError& with_member(std::string name, std::string json_value) {
    members_.emplace_back(std::move(name), std::move(json_value));
    return *this;
  }

  ErrorCode code() const { return code_; }
  const std::string& detail() const { return detail_; }
  const std::vector<FieldError>& errors() const { return errors_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  const std::vector<std::pair<std::string, std::string>>& members() const { return members_; }

 private:
  ErrorCode code_;
  std::string detail_;
  std::vector<FieldError> errors_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<std::pair<std::string, std::string>> members_;
};

}  // namespace keel::errors
