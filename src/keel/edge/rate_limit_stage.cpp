#include <charconv>

#include "keel/edge/ip_network.hpp"
#include "keel/edge/stages.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/http/route.hpp"
#include "keel/observability/metrics.hpp"

namespace keel::edge {
namespace {

void append_number(std::string& out, std::int64_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), value);
  out.append(digits, ec == std::errc() ? end : digits);
}

// Limited is one policy with what is precomputed for its headers and its
// rejections counter (rate_limit_rejections_total{policy}).
struct Limited {
  Limited(RatePolicy rate_policy, observability::MetricsRegistry& metrics)
      : policy(std::move(rate_policy)),
        quoted_name('"' + policy.name + '"'),
        rejections(metrics
                       .counter("rate_limit_rejections_total",
                                "Requests refused with 429 by the rate limiter.", {"policy"})
                       .labels({policy.name})) {
    // draft-ietf-httpapi-ratelimit-headers: `"name";q=<quota>;w=<window seconds>`.
    policy_header = quoted_name;
    policy_header.append(";q=");
    append_number(policy_header, policy.limit);
    policy_header.append(";w=");
    append_number(policy_header, policy.window.count());
  }

  // state_header is `"name";r=<remaining>;t=<seconds until the quota is full again>`.
  std::string state_header(const RateDecision& decision) const {
    std::string value;
    value.reserve(quoted_name.size() + 32);
    value.append(quoted_name).append(";r=");
    append_number(value, decision.remaining);
    value.append(";t=");
    append_number(value, decision.reset_seconds);
    return value;
  }

  RatePolicy policy;
  std::string quoted_name;
  std::string policy_header;
  observability::Counter& rejections;
};

class RateLimitStage final : public http::Middleware {
 public:
  RateLimitStage(std::shared_ptr<RateLimiter> limiter, RateLimitPolicies policies,
                 observability::MetricsRegistry& metrics)
      : limiter_(std::move(limiter)),
        general_(std::move(policies.general), metrics),
        auth_(std::move(policies.auth), metrics) {}

  std::string_view name() const override { return "rate_limit"; }

  http::Response handle(http::Request& request, const http::Next& next) const override {
    const auto& context = request.context;
    // Probes and scrapes (routes marked exempt_from_rate_limit) must never be refused.
    if (context.early_error || (context.route != nullptr && !context.route->rate_limited))
      return next(request);
    const Limited& limited = is_auth_path(request.path) ? auth_ : general_;
    const std::string key =
        context.user_id.empty() ? "ip:" + client_address_key(context.client_ip) : "user:" + context.user_id;
    const RateDecision decision = limiter_->check(key, limited.policy);

    if (!decision.allowed) {
      limited.rejections.inc();
      throw errors::ApiError(
          errors::ErrorCode::rate_limited,
          "Too many requests; retry after " + std::to_string(decision.retry_after_seconds) + " seconds.")
          .with_header("Retry-After", std::to_string(decision.retry_after_seconds))
          .with_header("RateLimit-Policy", limited.policy_header)
          .with_header("RateLimit", limited.state_header(decision));
    }
    try {
      auto response = next(request);
      response.headers.set("RateLimit-Policy", limited.policy_header);
      response.headers.set("RateLimit", limited.state_header(decision));
      return response;
    } catch (errors::ApiError& error) {
      // Error answers count against the budget too, so they show it as well.
      error.with_header("RateLimit-Policy", limited.policy_header)
          .with_header("RateLimit", limited.state_header(decision));
      throw;
    }
  }

 private:
  std::shared_ptr<RateLimiter> limiter_;
  Limited general_;
  Limited auth_;
};

}  // namespace

std::unique_ptr<http::Middleware> make_rate_limit_stage(std::shared_ptr<RateLimiter> limiter,
                                                        RateLimitPolicies policies,
                                                        observability::MetricsRegistry& metrics) {
  return std::make_unique<RateLimitStage>(std::move(limiter), std::move(policies), metrics);
}

}  // namespace keel::edge
