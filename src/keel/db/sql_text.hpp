// keel/db/sql_text.hpp — reading placeholders in SQL text (driver internals).
//
// Statements are written with PostgreSQL's $1, $2 placeholders. The SQLite
// driver rewrites them to ?1, ?2 (SQLite reads "$1" as a *named* parameter
// numbered by first appearance, which would bind `$2 … $1` in the wrong
// order), and both drivers check the number of bound values against the
// highest placeholder before running anything. String literals, quoted
// identifiers, comments and PostgreSQL dollar-quoted bodies are skipped.
//
//   to_sqlite_placeholders("SELECT $2, '$1' WHERE a = $1")  // "SELECT ?2, '$1' WHERE a = ?1"
//   highest_placeholder("SELECT $2, $1")                    // 2
#pragma once

#include <string>
#include <string_view>

namespace keel::db {

// to_sqlite_placeholders rewrites every $N placeholder outside literals to ?N.
std::string to_sqlite_placeholders(std::string_view sql);

// highest_placeholder returns the largest N of the $N placeholders outside literals (0 when none).
int highest_placeholder(std::string_view sql);

}  // namespace keel::db
