// keel/observability/request_id.hpp — request ids and W3C trace context, as plain functions.
//
// A client's X-Request-ID is echoed only when it is sane (short, no odd characters that
// could forge log lines or headers); otherwise the server makes its own. A valid
// `traceparent` header (W3C Trace Context level 1) supplies the trace id for logs.
//
//   std::string id = is_sane_request_id(header) ? std::string(header) : generate_request_id();
//   if (auto trace = parse_traceparent(traceparent_header)) log_trace_id = trace->trace_id;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::observability {

// is_sane_request_id accepts 1 to 64 characters from [A-Za-z0-9._-].
bool is_sane_request_id(std::string_view id) noexcept;

// generate_request_id returns 32 random lower-case hex characters (also a valid W3C
// trace-id). The generator is fast and per thread; ids are unique, not secret.
std::string generate_request_id();

// TraceContext is a parsed `traceparent` header.
struct TraceContext {
  std::string trace_id;   // 32 lower-case hex, not all zeros
  std::string parent_id;  // 16 lower-case hex, not all zeros
  std::uint8_t flags = 0;

  // sampled is the W3C `sampled` flag (bit 0).
  bool sampled() const noexcept { return (flags & 0x01) != 0; }

  bool operator==(const TraceContext&) const = default;
};

// parse_traceparent reads `version-traceid-parentid-flags`. Version 00 must be exactly that;
// later versions may append `-…` fields (ignored), and version ff is invalid. Only lower-case
// hex is accepted; all-zero ids are rejected.
std::optional<TraceContext> parse_traceparent(std::string_view header);

}  // namespace keel::observability
