#include "keel/observability/request_id.hpp"

#include <algorithm>
#include <cstddef>
#include <random>

namespace keel::observability {
namespace {

constexpr std::size_t kMaxRequestIdLength = 64;
constexpr std::size_t kTraceparentLength = 55;  // "00-" + 32 + "-" + 16 + "-" + 2

bool is_lower_hex(char c) noexcept { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int hex_value(char c) noexcept { return c <= '9' ? c - '0' : c - 'a' + 10; }

// lower_hex_field says whether text is all lower-case hex and, if `nonzero`, not all '0'.
bool lower_hex_field(std::string_view text, bool nonzero) noexcept {
  if (!std::all_of(text.begin(), text.end(), is_lower_hex)) return false;
  return !nonzero || text.find_first_not_of('0') != std::string_view::npos;
}

}  // namespace

bool is_sane_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

std::string generate_request_id() {
  thread_local std::mt19937_64 engine = [] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (std::size_t half = 0; half < 2; ++half) {
    std::uint64_t bits = engine();
    for (std::size_t i = 0; i < 16; ++i, bits >>= 4) id[half * 16 + i] = kHex[bits & 0xF];
  }
  return id;
}

std::optional<TraceContext> parse_traceparent(std::string_view header) {
  if (header.size() < kTraceparentLength) return std::nullopt;
  const std::string_view version = header.substr(0, 2);
  if (!lower_hex_field(version, false) || version == "ff") return std::nullopt;
  if (version == "00" ? header.size() != kTraceparentLength
                      : header.size() > kTraceparentLength && header[kTraceparentLength] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view parent_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!lower_hex_field(trace_id, true) || !lower_hex_field(parent_id, true) ||
      !lower_hex_field(flags, false)) {
    return std::nullopt;
  }
  return TraceContext{std::string(trace_id), std::string(parent_id),
                      static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]))};
}

}  // namespace keel::observability
