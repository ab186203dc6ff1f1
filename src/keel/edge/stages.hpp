// keel/edge/stages.hpp — the edge's pipeline stages: who the client is, which
// requests are welcome, how much they may ask, and how bytes travel.
//
// App's build_pipeline (app.cpp) places each stage and says why it sits
// there; every stage is also usable in a custom pipeline. Stages inside the
// catch-all report refusals by throwing errors::ApiError; the decorating
// stages outside it never throw.
//
//   pipeline.add(make_forwarded_stage(settings.trusted_proxies));
//   pipeline.add(make_cors_stage(CorsPolicy(settings.cors_origins)));
//   pipeline.add(make_rate_limit_stage(limiter, {general, auth}, metrics));
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keel/edge/cors.hpp"
#include "keel/edge/rate_limit.hpp"
#include "keel/edge/trusted_hosts.hpp"
#include "keel/http/middleware.hpp"

namespace keel::observability {
class MetricsRegistry;
}

namespace keel::edge {

// is_auth_path is true for the credential endpoints (/api/v1/auth/*, and the
// /api/v1/login/* alias) that get the stricter RATE_LIMIT_AUTH_PER_MINUTE budget.
bool is_auth_path(std::string_view path);

// make_forwarded_stage sets context.client_ip and context.secure from
// X-Forwarded-For / X-Forwarded-Proto when the TCP peer is one of
// `trusted_proxies` (addresses or CIDR blocks); other peers' headers are ignored.
// Throws std::invalid_argument on a malformed entry (the config rejects them first).
std::unique_ptr<http::Middleware> make_forwarded_stage(const std::vector<std::string>& trusted_proxies);

// make_cors_stage answers preflights from allowed origins (204 with the
// Allow-Methods/Headers/Max-Age lists) and adds Access-Control-Allow-Origin
// and -Expose-Headers to responses for allowed origins; every response gets
// `Vary: Origin`. Other preflights continue down the pipeline untouched.
std::unique_ptr<http::Middleware> make_cors_stage(CorsPolicy policy);

// make_compression_stage gzips compressible responses of at least
// kMinCompressBytes when Accept-Encoding allows, adding `Vary: Accept-Encoding`.
std::unique_ptr<http::Middleware> make_compression_stage();

// make_retry_after_stage gives every 503 without one a `Retry-After: 1`
// (overload, connection caps, handler timeouts, unavailable dependencies).
std::unique_ptr<http::Middleware> make_retry_after_stage();

// make_trusted_host_stage refuses (400 untrusted_host) a request whose Host
// is not trusted, or that has none; /health and /readiness are exempt.
std::unique_ptr<http::Middleware> make_trusted_host_stage(TrustedHosts hosts);

// make_https_stage (FORCE_HTTPS) redirects plain-HTTP GET/HEAD with 308 to
// https://<host><target> and refuses other methods (403 https_required);
// /health and /readiness are exempt.
std::unique_ptr<http::Middleware> make_https_stage();

// RateLimitPolicies are the two budgets: ordinary endpoints and auth endpoints.
struct RateLimitPolicies {
  RatePolicy general;
  RatePolicy auth;
};

// make_rate_limit_stage takes one token per request from the client's bucket
// (context.user_id when an earlier stage authenticated the caller, else the
// client address; IPv6 by /64). Refusal: 429 rate_limited with Retry-After.
// Responses on limited routes carry RateLimit-Policy and RateLimit
// (draft-ietf-httpapi-ratelimit-headers). Routes marked
// Route::exempt_from_rate_limit() (/health, /readiness, /metrics) are not limited;
// unmatched paths (404, 405) are.
// Registers rate_limit_rejections_total{policy}.
std::unique_ptr<http::Middleware> make_rate_limit_stage(std::shared_ptr<RateLimiter> limiter,
                                                        RateLimitPolicies policies,
                                                        observability::MetricsRegistry& metrics);

// make_decompression_stage inflates `Content-Encoding: gzip` request bodies
// up to the route's body limit (`default_body_limit` = MAX_BODY_BYTES when
// the route sets none): 413 beyond it, 400 for a corrupt stream, 415 for any
// coding other than gzip or identity.
std::unique_ptr<http::Middleware> make_decompression_stage(std::size_t default_body_limit);

}  // namespace keel::edge
