// keel/model/test_errors.hpp — renders FieldErrors as one-line strings for the model tests.
//
//   EXPECT_THAT(error_lines(result), ElementsAre("body.tags.3 string_too_long"));
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "keel/model/parse.hpp"

namespace keel::model::test {

// error_line renders one error as "body.tags.3 string_too_long".
inline std::string error_line(const errors::FieldError& error) {
  std::string line;
  for (const auto& part : error.loc) {
    if (!line.empty()) line += '.';
    if (const auto* key = std::get_if<std::string>(&part)) {
      line += *key;
    } else {
      line += std::to_string(std::get<std::size_t>(part));
    }
  }
  return line + " " + error.type;
}

// error_lines renders the field errors of a failed parse (none when it succeeded).
template <class T>
std::vector<std::string> error_lines(const ParseResult<T>& result) {
  std::vector<std::string> lines;
  if (result.ok()) return lines;
  for (const auto& error : result.error().errors) lines.push_back(error_line(error));
  return lines;
}

}  // namespace keel::model::test
