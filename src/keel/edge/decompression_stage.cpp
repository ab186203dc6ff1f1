#include "keel/edge/compression.hpp"
#include "keel/edge/stages.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/headers.hpp"
#include "keel/http/route.hpp"

namespace keel::edge {
namespace {

class DecompressionStage final : public http::Middleware {
 public:
  explicit DecompressionStage(std::size_t default_body_limit) : default_body_limit_(default_body_limit) {}

  std::string_view name() const override { return "decompression"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    const auto header = request.headers.get("Content-Encoding");
    if (!header || request.context.early_error) return next(request);
    const std::string_view coding = http::trim_whitespace(*header);
    if (http::iequals(coding, "gzip") || http::iequals(coding, "x-gzip")) {
      inflate(request);
    } else if (!http::iequals(coding, "identity")) {
      // RFC 9110 §15.5.16: say which codings would have been accepted.
      throw errors::ApiError(errors::ErrorCode::unsupported_media_type,
                             "Request bodies may only be sent with Content-Encoding gzip or identity.")
          .with_header("Accept-Encoding", "gzip");
    }
    // Handlers see the body as if it had been sent without a coding.
    request.headers.erase("Content-Encoding");
    return next(request);
  }

 private:
  void inflate(http::Request& request) const {
    if (request.body.empty()) return;
    const auto* route = request.context.route;
    const std::size_t limit =
        route != nullptr && route->body_limit != 0 ? route->body_limit : default_body_limit_;
    auto inflated = gunzip(request.body, limit);
    switch (inflated.status) {
      case GunzipStatus::ok: request.body = std::move(inflated.data); return;
      case GunzipStatus::too_large:
        throw errors::ApiError(errors::ErrorCode::payload_too_large,
                               "The decompressed body is larger than " + std::to_string(limit) + " bytes.");
      case GunzipStatus::corrupt:
        throw errors::ApiError(errors::ErrorCode::bad_request,
                               "The gzip-encoded body is corrupt or truncated.");
    }
  }

  std::size_t default_body_limit_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_decompression_stage(std::size_t default_body_limit) {
  return std::make_unique<DecompressionStage>(default_body_limit);
}

}  // namespace keel::edge
