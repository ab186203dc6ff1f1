// keel/app/content_negotiation.hpp — Accept header matching (406 decisions).
//
//   if (!accepts_any(request.header("Accept"), route.produces)) -> 406
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace keel::app {

// accepts_any is true when the Accept header (absent = anything) admits at
// least one of `produced` media types with a non-zero quality.
bool accepts_any(std::optional<std::string_view> accept, const std::vector<std::string>& produced);

}  // namespace keel::app
