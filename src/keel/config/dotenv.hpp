// keel/config/dotenv.hpp — parser for .env files.
//
// Rules: KEY=VALUE per line; blank lines and lines starting with `#` are
// ignored; an optional `export ` prefix is allowed; values may be single-quoted
// (taken literally) or double-quoted (with \n, \", \\ escapes); unquoted values
// are trimmed and end at ` #` (an inline comment). There is no variable
// interpolation. A malformed line becomes a problem naming the file and line
// number — never the line's text, which may hold a secret.
//
//   DotenvResult r = parse_dotenv(text, ".env");
//   for (auto& [key, value] : r.entries) ...
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/config/problem.hpp"

namespace keel::config {

// DotenvResult is the entries of one file in order, plus its syntax problems.
struct DotenvResult {
  std::vector<std::pair<std::string, std::string>> entries;  // later duplicates win when applied
  std::vector<ConfigProblem> problems;
};

// parse_dotenv parses `text`; `source` (usually the path) names the file in problems.
DotenvResult parse_dotenv(std::string_view text, std::string_view source);

}  // namespace keel::config
