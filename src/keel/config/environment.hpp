// keel/config/environment.hpp — where configuration text comes from.
//
// An Environment is a name → value map that load() reads. Production code
// fills it from the process environment plus an optional .env file; tests
// build one by hand and never touch the real environment.
//
//   Environment env = process_environment();            // real env + ./.env
//   Environment fake{{"APP_ENV", "production"}, {"PORT", "80"}};
#pragma once

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/config/problem.hpp"

namespace keel::config {

// Environment maps variable names to raw values and carries .env syntax problems to load().
class Environment {
 public:
  Environment() = default;
  // Implicit on purpose, so tests and callers can write load({{"PORT", "80"}}).
  Environment(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}

  // get returns the value of `name`, if set (possibly empty).
  std::optional<std::string_view> get(std::string_view name) const;
  // contains is true when `name` is set, even to an empty value.
  bool contains(std::string_view name) const { return values_.find(name) != values_.end(); }
  // set adds or replaces `name`.
  void set(std::string name, std::string value);
  // add_problem records a problem found while gathering values (e.g. a bad .env line).
  void add_problem(ConfigProblem problem) { problems_.push_back(std::move(problem)); }
  // problems returns the problems recorded so far; load() reports them too.
  const std::vector<ConfigProblem>& problems() const { return problems_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<ConfigProblem> problems_;
};

// overlay_dotenv returns `real` plus the .env variables it does not already
// have (the real environment wins). The file is `dotenv` when given, else
// KEEL_ENV_FILE from `real`, else ./.env. A missing ./.env is normal; a missing
// file that was asked for explicitly, or an unreadable one, is a problem.
Environment overlay_dotenv(Environment real, std::optional<std::filesystem::path> dotenv);

// process_environment is overlay_dotenv() applied to the real process environment.
Environment process_environment(std::optional<std::filesystem::path> dotenv = std::nullopt);

}  // namespace keel::config
