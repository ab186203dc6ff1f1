// keel/app/stages.hpp — the standard stages of Keel's request pipeline.
//
// App::App() assembles them, in order, in one place (see build_pipeline in
// app.cpp); each stage is also usable on its own in a custom pipeline.
//
//   pipeline.add(make_request_id_stage());
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "keel/app/auth.hpp"

#include "keel/http/middleware.hpp"

namespace keel::observability {
class HttpMetrics;
}
namespace keel::security {
class AccessTokenCodec;
}
namespace keel::edge {
class SharedStore;
}

namespace keel::app {

// make_request_id_stage adopts a sane X-Request-ID (else generates one),
// parses W3C traceparent, and echoes X-Request-ID on the response.
std::unique_ptr<http::Middleware> make_request_id_stage();

// make_access_log_stage times the request, keeps the in-flight gauge and the
// RED metrics (labelled by route template), and writes one access log line.
std::unique_ptr<http::Middleware> make_access_log_stage(observability::HttpMetrics& metrics);

// make_security_headers_stage adds SPEC §4's security headers to every response.
std::unique_ptr<http::Middleware> make_security_headers_stage();

// make_error_stage is the catch-all: ApiError becomes its problem+json;
// anything else becomes a logged 500 `internal_error` that reveals nothing.
std::unique_ptr<http::Middleware> make_error_stage();

// make_authentication_stage turns a valid bearer token into request.context.principal
// (and user_id, for per-user rate limits); refuses a bad one on protected routes.
std::unique_ptr<http::Middleware> make_authentication_stage(const security::AccessTokenCodec& tokens);

// make_authorization_stage enforces a protected route's credentials: API keys,
// the denylist, the service's hooks, the route's scopes.
std::unique_ptr<http::Middleware> make_authorization_stage(edge::SharedStore& store, const AuthHooks& hooks);

// denylist_key is the SharedStore key that marks access token `token_id` revoked.
std::string denylist_key(std::string_view token_id);

}  // namespace keel::app
