#include "keel/config/environment.hpp"

#include <unistd.h>  // environ

#include <fstream>
#include <sstream>

#include "keel/config/dotenv.hpp"

namespace keel::config {

std::optional<std::string_view> Environment::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

void Environment::set(std::string name, std::string value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

Environment overlay_dotenv(Environment real, std::optional<std::filesystem::path> dotenv) {
  bool explicit_file = true;
  if (!dotenv) {
    if (auto from_env = real.get("KEEL_ENV_FILE"); from_env && !from_env->empty()) {
      dotenv = std::filesystem::path(*from_env);
    } else {
      dotenv = std::filesystem::path("./.env");
      explicit_file = false;
    }
  }
  const std::string source = dotenv->string();
  std::error_code ec;
  if (!std::filesystem::exists(*dotenv, ec)) {
    if (explicit_file) {
      real.add_problem({"KEEL_ENV_FILE", "KEEL_ENV_FILE: the .env file " + source + " does not exist"});
    }
    return real;
  }
  std::ifstream in(*dotenv, std::ios::binary);
  if (std::filesystem::is_directory(*dotenv, ec) || !in.is_open()) {
    real.add_problem({"KEEL_ENV_FILE", "KEEL_ENV_FILE: cannot read the .env file " + source});
    return real;
  }
  std::ostringstream text;
  text << in.rdbuf();
  DotenvResult parsed = parse_dotenv(text.str(), source);
  const Environment before = real;  // a later duplicate in the file wins, the real environment always does
  for (auto& [key, value] : parsed.entries) {
    if (!before.contains(key)) real.set(key, std::move(value));
  }
  for (ConfigProblem& p : parsed.problems) real.add_problem(std::move(p));
  return real;
}

Environment process_environment(std::optional<std::filesystem::path> dotenv) {
  Environment real;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    real.set(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return overlay_dotenv(std::move(real), std::move(dotenv));
}

}  // namespace keel::config
