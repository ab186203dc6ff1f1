// keel/config/variables.hpp — the catalogue of every configuration variable.
//
// One row per environment variable: its kind, whether its value is secret,
// integer bounds, documented default and meaning. load() takes integer bounds
// from here, so the numbers in docs/configuration.md and .env.example are
// checked against the code by variables_test.cpp.
//
//   for (const VariableSpec& v : variables())
//     if (v.secret) redact(v.name);
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace keel::config {

// VariableKind says how a variable's text is parsed.
enum class VariableKind : std::uint8_t {
  text,     // free text with light checks (host, paths, addresses)
  secret,   // text that never appears in messages (keys, tokens)
  boolean,  // true/false, 1/0, yes/no (any case)
  integer,  // decimal integer within [min, max]
  list,     // comma-separated; spaces trimmed, empty entries dropped
  choice,   // one of a fixed set of words
  url,      // a URL with an allowed scheme
};

// VariableSpec describes one variable.
struct VariableSpec {
  std::string_view name;
  VariableKind kind;
  bool secret;                   // value never echoed: messages, audit lines, logs
  std::int64_t min;              // integer variables only
  std::int64_t max;              // integer variables only
  std::string_view default_value;  // literal default ("" when unset or computed)
  std::string_view meaning;      // one line, as in .env.example
};

// variables returns every variable Keel reads, grouped as in the docs.
std::span<const VariableSpec> variables();

// find_variable returns the row for `name`, or nullptr for an unknown name.
const VariableSpec* find_variable(std::string_view name);

}  // namespace keel::config
