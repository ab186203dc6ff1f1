#include "keel/app/problem.hpp"
#include "keel/app/stages.hpp"
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
    } catch (const std::exception& error) {
      return internal_error(request, error.what());
    } catch (...) {
      return internal_error(request, "non-standard exception");
    }
  }

 private:
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
