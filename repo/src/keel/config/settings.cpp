#include "keel/config/settings.hpp"

namespace keel::config {

std::string_view to_string(AppEnv env) {
  switch (env) {
    case AppEnv::development: return "development";
    case AppEnv::test: return "test";
    case AppEnv::staging: return "staging";
    case AppEnv::production: return "production";
  }
  return "development";
}

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "info";
}

std::string_view to_string(LogFormat format) {
  switch (format) {
    case LogFormat::json: return "json";
    case LogFormat::text: return "text";
  }
  return "json";
}

}  // namespace keel::config
