#include "keel/config/dotenv.hpp"

namespace keel::config {
namespace {

constexpr std::string_view kBlank = " \t";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(kBlank);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kBlank) - first + 1);
}

bool is_key(std::string_view key) {
  if (key.empty()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// rest_is_comment accepts what may follow a closing quote: nothing, or a comment.
bool rest_is_comment(std::string_view rest) {
  rest = trim(rest);
  return rest.empty() || rest.front() == '#';
}


struct ParsedValue {
  std::string value;
  std::string_view error;  // why the value is unreadable; empty on success (never the value)
};

ParsedValue parse_value(std::string_view raw) {
  raw = trim(raw);
  if (raw.empty()) return {};
  const char quote = raw.front();
  if (quote == '\'') {
    const auto close = raw.find('\'', 1);
    if (close == std::string_view::npos) return {{}, "unterminated single-quoted value"};
    if (!rest_is_comment(raw.substr(close + 1))) return {{}, "unexpected text after closing quote"};
    return {std::string(raw.substr(1, close - 1)), {}};
  }
  if (quote == '"') {
    std::string value;
    for (std::size_t i = 1; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '"') {
        if (!rest_is_comment(raw.substr(i + 1))) return {{}, "unexpected text after closing quote"};
        return {std::move(value), {}};
      }
      if (c == '\\' && i + 1 < raw.size()) {
        const char next = raw[++i];
        switch (next) {
          case 'n': value.push_back('\n'); break;
          case '"': value.push_back('"'); break;
          case '\\': value.push_back('\\'); break;
          default:  // unknown escapes stay as written, like most dotenv readers
            value.push_back('\\');
            value.push_back(next);
        }
        continue;
      }
      value.push_back(c);
    }
    return {{}, "unterminated double-quoted value"};
  }
  // Unquoted: an inline comment starts at whitespace followed by '#'.
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '#' && (raw[i - 1] == ' ' || raw[i - 1] == '\t')) {
      raw = trim(raw.substr(0, i));
      break;
    }
  }
  return {std::string(raw), {}};
}

}  // namespace

DotenvResult parse_dotenv(std::string_view text, std::string_view source) {
  DotenvResult result;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 BOM from some editors
  std::size_t line_number = 0;
  auto report = [&](std::string_view what) {
    result.problems.push_back({std::string(source), std::string(source) + ":" +
                                                        std::to_string(line_number) + ": " +
                                                        std::string(what)});
  };
  while (!text.empty()) {
    ++line_number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);

    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) line = trim(line.substr(7));

    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      report("expected KEY=VALUE");
      continue;
    }
    const std::string_view key = trim(line.substr(0, eq));
    if (!is_key(key)) {
      report("invalid variable name (letters, digits and _ only, not starting with a digit)");
      continue;
    }
    ParsedValue parsed = parse_value(line.substr(eq + 1));
    if (!parsed.error.empty()) {
      report(std::string(key) + ": " + std::string(parsed.error));
      continue;
    }
    result.entries.emplace_back(std::string(key), std::move(parsed.value));
  }
  return result;
}

}  // namespace keel::config
