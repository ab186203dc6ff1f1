#include "keel/db/sql_text.hpp"

#include <algorithm>
#include <cctype>
#include <cstddef>

namespace keel::db {
namespace {

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }
// PostgreSQL allows '$' inside identifiers (a$1 is one identifier, not a placeholder).
bool is_identifier_char(char c) { return is_word(c) || c == '$'; }

// scan calls on_placeholder(begin, end, number) for each $N outside literals,
// comments and dollar-quoted bodies.
template <class OnPlaceholder>
void scan(std::string_view sql, OnPlaceholder&& on_placeholder) {
  const std::size_t n = sql.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (c == '\'') {
      // E'…' strings take backslash escapes; '' is an escaped quote in all strings.
      const bool backslash_escapes =
          i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !is_identifier_char(sql[i - 2]));
      ++i;
      while (i < n) {
        if ((backslash_escapes && sql[i] == '\\') || (sql[i] == '\'' && i + 1 < n && sql[i + 1] == '\'')) {
          i += 2;  // an escaped character
        } else if (sql[i] == '\'') {
          break;
        } else {
          ++i;
        }
      }
      ++i;
    } else if (c == '"') {
      const std::size_t close = sql.find('"', i + 1);
      i = close == std::string_view::npos ? n : close + 1;  // "" re-opens at once: same effect as an escape
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      const std::size_t eol = sql.find('\n', i);
      i = eol == std::string_view::npos ? n : eol + 1;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 1;  // PostgreSQL nests block comments
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          --depth;
          i += 2;
        } else {
          ++i;
        }
      }
    } else if (c == '$' && (i == 0 || !is_identifier_char(sql[i - 1]))) {
      std::size_t j = i + 1;
      if (j < n && is_digit(sql[j])) {
        int number = 0;
        while (j < n && is_digit(sql[j])) {
          number = std::min(number * 10 + (sql[j] - '0'), 1000000);
          ++j;
        }
        on_placeholder(i, j, number);
        i = j;
        continue;
      }
      // $tag$ … $tag$ (or $$ … $$): a dollar-quoted string body.
      std::size_t k = j;
      if (k < n && (std::isalpha(static_cast<unsigned char>(sql[k])) != 0 || sql[k] == '_')) {
        while (k < n && is_word(sql[k])) ++k;
      }
      if (k < n && sql[k] == '$') {
        const std::string_view tag = sql.substr(i, k - i + 1);
        const std::size_t close = sql.find(tag, k + 1);
        i = close == std::string_view::npos ? n : close + tag.size();
      } else {
        ++i;
      }
    } else {
      ++i;
    }
  }
}

}  // namespace

std::string to_sqlite_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  std::size_t copied = 0;
  scan(sql, [&](std::size_t begin, std::size_t end, int /*number*/) {
    out.append(sql.substr(copied, begin - copied));
    out.push_back('?');
    out.append(sql.substr(begin + 1, end - begin - 1));
    copied = end;
  });
  out.append(sql.substr(copied));
  return out;
}

int highest_placeholder(std::string_view sql) {
  int highest = 0;
  scan(sql, [&](std::size_t, std::size_t, int number) { highest = std::max(highest, number); });
  return highest;
}

}  // namespace keel::db
