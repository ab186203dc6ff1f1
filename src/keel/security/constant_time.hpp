// keel/security/constant_time.hpp — comparisons that do not leak through timing.
//
//   if (constant_time_equal(presented_token, expected_token)) { ... }
#pragma once

#include <string_view>

namespace keel::security {

// constant_time_equal compares two secrets in time that depends only on their
// lengths, never on where they first differ (OpenSSL CRYPTO_memcmp).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace keel::security
