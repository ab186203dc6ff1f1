// keel/model/utf8.hpp — UTF-8 checks for model strings.
//
// JSON text is UTF-8, but values handed to parse_value (decoded query and
// form parameters) may hold any bytes; every model string is checked here, and
// length rules count code points, as a user counts characters, not bytes.
//
//   keel::model::utf8_length("ééé");     // 3
//   keel::model::utf8_length("\xff");    // std::nullopt: not UTF-8
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace keel::model {

// utf8_length returns the number of code points in `text`, or std::nullopt when
// it is not well-formed UTF-8 (overlong forms, surrogates and values above
// U+10FFFF are rejected, as RFC 3629 requires).
std::optional<std::size_t> utf8_length(std::string_view text);

// utf8_excerpt returns `text` cut to at most `max_bytes` bytes on a code-point
// boundary, with "…" appended when it was cut; invalid UTF-8 becomes "\uFFFD".
// Error locations quote client input through it, so a response never echoes
// megabytes of it, nor bytes that would make the response itself invalid JSON.
std::string utf8_excerpt(std::string_view text, std::size_t max_bytes);

}  // namespace keel::model
