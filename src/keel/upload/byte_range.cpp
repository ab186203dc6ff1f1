#include "keel/upload/byte_range.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "keel/http/headers.hpp"

namespace keel::upload {
namespace {

constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();

// parse_position reads 1*DIGIT, saturating at kHuge (a position past any file).
std::optional<std::uint64_t> parse_position(std::string_view digits) {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kHuge - digit) / 10 ? kHuge : value * 10 + digit;
  }
  return value;
}

const RangeDecision kFull{RangeKind::full, 0, 0};
const RangeDecision kUnsatisfiable{RangeKind::unsatisfiable, 0, 0};

RangeDecision decide(std::string_view spec, std::uint64_t size) {
  const std::size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return kFull;  // invalid: ignored
  if (dash == 0) {
    const auto suffix = parse_position(spec.substr(1));
    if (!suffix) return kFull;
    if (*suffix == 0 || size == 0) return kUnsatisfiable;
    const std::uint64_t length = std::min(*suffix, size);
    return {RangeKind::partial, size - length, length};
  }
  const auto first = parse_position(spec.substr(0, dash));
  if (!first) return kFull;
  std::uint64_t last = kHuge;
  if (dash + 1 < spec.size()) {
    const auto parsed = parse_position(spec.substr(dash + 1));
    if (!parsed || *parsed < *first) return kFull;  // RFC 9110 §14.1.1: invalid, so ignored
    last = *parsed;
  }
  if (*first >= size) return kUnsatisfiable;
  last = std::min(last, size - 1);
  return {RangeKind::partial, *first, last - *first + 1};
}

}  // namespace

RangeDecision evaluate_range(std::optional<std::string_view> range_header, std::uint64_t size) {
  RangeDecision full{RangeKind::full, 0, size};
  if (!range_header) return full;
  const std::string_view header = http::trim_whitespace(*range_header);
  const std::size_t equals = header.find('=');
  if (equals == std::string_view::npos ||
      !http::iequals(http::trim_whitespace(header.substr(0, equals)), "bytes")) {
    return full;  // another range unit: ignored
  }
  std::vector<std::string_view> specs;
  std::string_view set = header.substr(equals + 1);
  while (true) {
    const std::size_t comma = set.find(',');
    const std::string_view spec = http::trim_whitespace(set.substr(0, comma));
    if (!spec.empty()) specs.push_back(spec);  // the list rule allows empty elements
    if (comma == std::string_view::npos) break;
    set.remove_prefix(comma + 1);
  }
  // Several ranges would need multipart/byteranges; RFC 9110 lets us send the whole file.
  if (specs.size() != 1) return full;
  const RangeDecision decision = decide(specs.front(), size);
  return decision.kind == RangeKind::full ? full : decision;
}

std::string content_range(const RangeDecision& range, std::uint64_t size) {
  return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.first + range.length - 1) + "/" +
         std::to_string(size);
}

}  // namespace keel::upload
