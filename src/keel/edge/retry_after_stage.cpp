#include "keel/edge/stages.hpp"

namespace keel::edge {
namespace {

class RetryAfterStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "retry_after"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    auto response = next(request);
    if (response.status == 503 && !response.headers.contains("Retry-After")) {
      response.headers.set("Retry-After", "1");
    }
    return response;
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_retry_after_stage() { return std::make_unique<RetryAfterStage>(); }

}  // namespace keel::edge
