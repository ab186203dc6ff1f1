// keel/config/problem.hpp — one configuration mistake, ready to print.
//
// Loading collects every problem rather than stopping at the first, so an
// operator fixes a broken deployment in one pass. `message` is a complete line
// that starts with the variable name and never contains a secret's value.
//
//   for (const ConfigProblem& p : result.problems) std::cerr << p.message << '\n';
#pragma once

#include <string>

namespace keel::config {

// ConfigProblem names the variable (or .env file) at fault and says what was expected.
struct ConfigProblem {
  std::string variable;  // e.g. "PORT", or the .env file path for syntax errors
  std::string message;   // e.g. "PORT: must be an integer between 0 and 65535"

  bool operator==(const ConfigProblem&) const = default;
};

}  // namespace keel::config
