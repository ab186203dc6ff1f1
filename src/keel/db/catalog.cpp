#include "keel/db/catalog.hpp"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <set>

#include "keel/db/driver.hpp"
#include "keel/db/error.hpp"

namespace keel::db {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_word(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// identifier_after returns the table name that follows `marker` in `line`
// ("Seq Scan on items i" → "items"), without schema or quotes.
std::string identifier_after(std::string_view line, std::string_view marker) {
  const auto at = line.find(marker);
  if (at == std::string_view::npos) return {};
  std::string_view rest = line.substr(at + marker.size());
  rest = rest.substr(0, rest.find_first_of(" ("));
  if (const auto dot = rest.rfind('.'); dot != std::string_view::npos) rest.remove_prefix(dot + 1);
  std::string name(rest);
  name.erase(std::remove(name.begin(), name.end(), '"'), name.end());
  return lower(name);
}

// words_of splits SQL into lowercase words (identifiers and keywords).
std::vector<std::string> words_of(std::string_view sql) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : sql) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_') {
      word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

struct Scan {
  std::string table;
  std::string line;
};

// sqlite_scans reads "SCAN t", "SCAN t USING INDEX i", "SCAN t USING COVERING
// INDEX i" (a whole index walked: a full scan too). SQLite prints the alias
// when the query has one, so an alias is mapped back through the SQL text.
std::vector<Scan> sqlite_scans(const std::vector<std::string>& lines, std::string_view sql,
                               const std::vector<std::string>& tables) {
  std::vector<Scan> scans;
  for (const std::string& line : lines) {
    if (!line.starts_with("SCAN ")) continue;
    const std::string name = lower(std::string_view(line).substr(5, line.find(' ', 5) - 5));
    if (!is_word(name)) continue;  // "SCAN CONSTANT ROW", subqueries
    std::string table;
    if (std::find(tables.begin(), tables.end(), name) != tables.end()) {
      table = name;
    } else {
      // "FROM items AS i" / "FROM items i": the word before the alias (skipping AS).
      const std::vector<std::string> words = words_of(sql);
      for (std::size_t w = 1; w < words.size() && table.empty(); ++w) {
        if (words[w] != name) continue;
        const std::size_t before = words[w - 1] == "as" && w >= 2 ? w - 2 : w - 1;
        if (std::find(tables.begin(), tables.end(), words[before]) != tables.end()) table = words[before];
      }
    }
    if (!table.empty()) scans.push_back({table, line});
  }
  return scans;
}

bool is_plan_node(const std::string& line, std::size_t index) {
  return index == 0 || line.find("->") != std::string::npos;
}

// postgres_scans reads "Seq Scan on t" and index scans (plain, index-only,
// bitmap) that have no "Index Cond" among their attribute lines: the whole
// index walked.
std::vector<Scan> postgres_scans(const std::vector<std::string>& lines) {
  std::vector<Scan> scans;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!is_plan_node(line, i)) continue;
    if (line.find("Seq Scan on ") != std::string::npos) {
      scans.push_back({identifier_after(line, "Seq Scan on "), line});
      continue;
    }
    if (line.find("Index Scan") == std::string::npos && line.find("Index Only Scan") == std::string::npos)
      continue;
    bool has_condition = false;
    for (std::size_t j = i + 1; j < lines.size() && !is_plan_node(lines[j], j); ++j) {
      if (lines[j].find("Index Cond:") != std::string::npos) has_condition = true;
    }
    if (has_condition) continue;
    if (line.find("Bitmap Index Scan") == std::string::npos) {
      scans.push_back({identifier_after(line, " on "), line});
      continue;
    }
    // A Bitmap Index Scan names the index; its table is on the Bitmap Heap Scan above it.
    for (std::size_t j = i; j-- > 0;) {
      if (lines[j].find("Bitmap Heap Scan on ") != std::string::npos) {
        scans.push_back({identifier_after(lines[j], "Bitmap Heap Scan on "), line});
        break;
      }
    }
  }
  return scans;
}

}  // namespace

void StatementCatalog::add(std::span<const Statement* const> statements) {
  const std::unique_lock lock(mutex_);
  for (const Statement* statement : statements) {
    const auto [it, inserted] = by_name_.emplace(statement->name(), statement);
    if (!inserted && it->second != statement) {
      throw DatabaseError(ErrorKind::other,
                          "statement name registered twice: " + std::string(statement->name()));
    }
    if (inserted) ordered_.push_back(statement);
  }
}

bool StatementCatalog::contains(const Statement* statement) const {
  const std::shared_lock lock(mutex_);
  const auto it = by_name_.find(statement->name());
  return it != by_name_.end() && it->second == statement;
}

std::vector<const Statement*> StatementCatalog::statements() const {
  const std::shared_lock lock(mutex_);
  return ordered_;
}

std::string ExplainReport::summary() const {
  std::string out;
  for (const PlanFinding& f : full_scans) {
    out += "full scan of " + f.table + " in " + f.statement + ": " + f.plan_line + "\n";
  }
  for (const std::string& e : errors) out += "cannot explain " + e + "\n";
  return out;
}

ExplainReport explain_statements(Connection& connection, std::span<const Statement* const> statements,
                                 std::span<const std::string> watched_tables) {
  Driver& driver = driver_of(connection);
  const Dialect dialect = driver.dialect();
  std::vector<std::string> tables;
  const Result listed =
      driver.execute(dialect == Dialect::sqlite
                         ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                         : "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
                     {}, false);
  for (const Row& row : listed) tables.push_back(lower(row.get<std::string>(0)));
  std::set<std::string> watched;
  if (watched_tables.empty()) {
    watched.insert(tables.begin(), tables.end());
    watched.erase("schema_migrations");
  } else {
    for (const std::string& t : watched_tables) watched.insert(lower(t));
  }

  ExplainReport report;
  for (const Statement* statement : statements) {
    const std::string name(statement->name());
    const std::string_view sql = statement->sql(dialect).text();
    std::vector<std::string> lines;
    try {
      lines = driver.explain(sql);
    } catch (const DatabaseError& e) {
      report.errors.push_back(name + ": " + e.what());
      if (!driver.alive()) break;
      continue;
    }
    const std::vector<Scan> scans =
        dialect == Dialect::sqlite ? sqlite_scans(lines, sql, tables) : postgres_scans(lines);
    for (const Scan& scan : scans) {
      if (!watched.contains(scan.table)) continue;
      PlanFinding finding{name, scan.table, scan.line, std::string(statement->full_scan_reason())};
      (finding.reason.empty() ? report.full_scans : report.accepted_scans).push_back(std::move(finding));
    }
    report.plans.emplace_back(name, std::move(lines));
  }
  return report;
}

}  // namespace keel::db
