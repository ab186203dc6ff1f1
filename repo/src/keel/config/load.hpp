// keel/config/load.hpp — turn an Environment into validated Settings.
//
// Every variable is parsed and range-checked and every problem is collected,
// so one run lists everything that is wrong. Messages name the variable and
// what was expected, and never contain a value (secrets stay out of logs).
// Empty values count as unset. In development and test, a missing SECRET_KEY
// or DATA_ENCRYPTION_KEYS is generated per process and flagged so the server
// can warn; in staging and production it stays empty and audit() fails.
//
//   LoadResult r = load(process_environment());
//   if (!r.ok()) { for (auto& p : r.problems) std::cerr << p.message << '\n'; return 78; }
#pragma once

#include <vector>

#include "keel/config/environment.hpp"
#include "keel/config/problem.hpp"
#include "keel/config/settings.hpp"

namespace keel::config {

// kExitConfig is the exit status for unusable configuration (EX_CONFIG, sysexits.h).
inline constexpr int kExitConfig = 78;

// LoadResult is the settings read (defaults where a value was bad) and every problem.
struct LoadResult {
  Settings settings;
  std::vector<ConfigProblem> problems;  // includes the Environment's own (.env) problems

  // ok is true when nothing was wrong.
  bool ok() const { return problems.empty(); }
};

// load reads every variable in variables() from `env`.
LoadResult load(const Environment& env);

}  // namespace keel::config
