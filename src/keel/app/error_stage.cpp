#include "keel/app/problem.hpp"
#include "keel/app/stages.hpp"
#include "keel/security/password_hasher.hpp"
#include "keel/db/error.hpp"
#include "keel/http/route.hpp"
#include "keel/observability/logger.hpp"

namespace keel::app {
namespace {

class ErrorStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "errors"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    try {
      return next(request);
    } catch (const errors::ApiError& error) {
      return problem_response(error, request);
    } catch (const db::DatabaseError& error) {
      return database_error(request, error);
    } catch (const security::HasherBusy&) {
      // Every password-hashing slot stayed busy (a login flood): shed load, do not queue more.
      return problem_response(errors::ApiError(errors::ErrorCode::service_unavailable,
                                               "The server is busy; retry shortly.")
                                  .with_header("Retry-After", "1"),
                              request);
    } catch (const std::exception& error) {
      return internal_error(request, error.what());
    } catch (...) {
      return internal_error(request, "non-standard exception");
    }
  }

 private:
  // A database that is down or overloaded is the client's cue to retry, not a
  // bug: 503 with Retry-After. Anything else from the database is a bug: 500.
  // A unique-constraint violation the service did not translate itself is a
  // conflict with existing data (409), never a server bug.
  static http::Response database_error(const http::Request& request, const db::DatabaseError& error) {
    if (error.kind() == db::ErrorKind::constraint_unique) {
      return problem_response(errors::ApiError(errors::ErrorCode::conflict, "The resource already exists."),
                              request);
    }
    if (!db::is_transient(error.kind())) return internal_error(request, error.what());
    observability::logger().warning("database unavailable",
                                    {{"request_id", request.context.request_id},
                                     {"kind", db::to_string(error.kind())},
                                     {"error", error.what()}});
    return problem_response(errors::ApiError(errors::ErrorCode::database_unavailable,
                                             "The database is unavailable; retry shortly.")
                                .with_header("Retry-After", "2"),
                            request);
  }

  // The exception text goes to the log (redacted there) and never to the client.
  static http::Response internal_error(const http::Request& request, std::string_view what) {
    observability::logger().error("unhandled exception in handler",
                                  {{"request_id", request.context.request_id},
                                   {"route", request.context.route ? std::string_view(request.context.route->path_template)
                                                                   : std::string_view("unmatched")},
                                   {"error", what}});
    return problem_response(
        errors::ApiError(errors::ErrorCode::internal_error,
                         "An unexpected error occurred. Quote the request id when reporting it."),
        request);
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_error_stage() { return std::make_unique<ErrorStage>(); }

}  // namespace keel::app
