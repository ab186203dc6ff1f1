#include "keel/edge/compression.hpp"
#include "keel/edge/stages.hpp"
#include "keel/http/headers.hpp"

namespace keel::edge {
namespace {

// has_no_transform: RFC 9111 §5.2.2.6 forbids changing the content coding.
bool has_no_transform(const http::Headers& headers) {
  const auto cache_control = headers.get("Cache-Control");
  if (!cache_control) return false;
  const std::string_view value = *cache_control;
  constexpr std::string_view kNoTransform = "no-transform";
  for (std::size_t i = 0; i + kNoTransform.size() <= value.size(); ++i) {
    if (http::iequals(value.substr(i, kNoTransform.size()), kNoTransform)) return true;
  }
  return false;
}

class CompressionStage final : public http::Middleware {
 public:
  std::string_view name() const override { return "compression"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    auto response = next(request);
    // The cheap tests first: most responses (/health, small JSON) stop here.
    // A file response is streamed from disk as stored (and may be a range): never compressed.
    if (response.body_file || response.body.size() < kMinCompressBytes || response.status < 200 ||
        response.status == 204 || response.status == 206 || response.status == 304) {
      return response;
    }
    auto& headers = response.headers;
    const auto content_type = headers.get("Content-Type");
    if (!content_type || !is_compressible(*content_type) || headers.contains("Content-Encoding"))
      return response;
    // From here the answer depends on Accept-Encoding, compressed or not.
    headers.add("Vary", "Accept-Encoding");
    if (has_no_transform(headers) || !accepts_gzip(request.headers.get("Accept-Encoding"))) return response;
    if (auto packed = gzip(response.body)) {
      response.body = std::move(*packed);
      headers.set("Content-Encoding", "gzip");
    }
    return response;
  }
};

}  // namespace

std::unique_ptr<http::Middleware> make_compression_stage() { return std::make_unique<CompressionStage>(); }

}  // namespace keel::edge
