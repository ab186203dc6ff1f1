#include "keel/app/stages.hpp"
#include "keel/observability/request_id.hpp"

namespace keel::app {
namespace {

class RequestIdStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "request_id"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    auto& context = request.context;
    const auto offered = request.headers.get("X-Request-ID");
    context.request_id = offered && observability::is_sane_request_id(*offered)
                             ? std::string(*offered)
                             : observability::generate_request_id();
    if (const auto traceparent = request.headers.get("traceparent")) {
      if (auto trace = observability::parse_traceparent(*traceparent)) {
        context.trace_id = std::move(trace->trace_id);
        context.parent_span_id = std::move(trace->parent_id);
      }
    }
    auto response = next(request);
    response.headers.set("X-Request-ID", context.request_id);
    return response;
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_request_id_stage() { return std::make_unique<RequestIdStage>(); }

}  // namespace keel::app
