// keel — the command line: serve (default), migrate, check-config, version.
//
// Exit codes (docs/cli.md): 0 success; 1 runtime failure (cannot bind,
// database error); 2 usage error; 78 bad configuration (EX_CONFIG).
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "keel/app/app.hpp"
#include "keel/config/audit.hpp"
#include "keel/config/load.hpp"
#include "keel/observability/logger.hpp"
#include "service/routes.hpp"

namespace {

namespace config = keel::config;
namespace observability = keel::observability;

constexpr int kExitFailure = 1;

observability::LogLevel to_log_level(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::debug: return observability::LogLevel::debug;
    case config::LogLevel::info: return observability::LogLevel::info;
    case config::LogLevel::warning: return observability::LogLevel::warning;
    case config::LogLevel::error: break;
  }
  return observability::LogLevel::error;
}

// load_settings reads the configuration or explains, one line per problem,
// why it cannot; never prints a value (problems are value-free by design).
std::optional<config::Settings> load_settings() {
  auto result = config::load(config::process_environment());
  if (!result.ok()) {
    for (const auto& problem : result.problems) std::cerr << "config error: " << problem.message << '\n';
    return std::nullopt;
  }
  return std::move(result.settings);
}

void configure_logging(const config::Settings& settings) {
  observability::logger().configure(to_log_level(settings.log_level),
                                    settings.log_format == config::LogFormat::json
                                        ? observability::LogFormat::json
                                        : observability::LogFormat::text);
}

int run_check_config() {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  const auto findings = config::audit(*settings);
  std::cout << "APP_ENV=" << config::to_string(settings->app_env) << '\n' << config::render_audit(findings);
  return config::blocks_startup(findings) ? config::kExitConfig : 0;
}

int run_serve(bool migrate_first) {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  const auto findings = config::audit(*settings);
  if (config::is_production_like(settings->app_env) && config::blocks_startup(findings)) {
    std::cerr << "refusing to start: the configuration breaks production rules\n"
              << config::render_audit(findings);
    return config::kExitConfig;
  }
  configure_logging(*settings);
  auto& log = observability::logger();
  for (const auto& finding : findings) {
    if (finding.severity != config::Severity::pass) {
      log.warning("configuration warning", {{"rule", std::string_view(finding.rule)},
                                            {"detail", std::string_view(finding.message)}});
    }
  }
  (void)migrate_first;
  try {
    keel::app::App app(std::move(*settings));
    service::register_routes(app);
    return keel::app::serve(app);
  } catch (const std::exception& error) {
    log.error("server failed", {{"error", error.what()}});
    log.flush();
    std::cerr << "keel: " << error.what() << '\n';
    return kExitFailure;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Keel — a production-ready REST API server", "keel"};
  cli.require_subcommand(0, 1);

  bool migrate_first = false;
  auto* serve = cli.add_subcommand("serve", "Serve HTTP (the default command)");
  serve->add_flag("--migrate", migrate_first, "Apply pending migrations before serving");

  auto* check_config = cli.add_subcommand("check-config", "Audit the configuration against the production rules");
  auto* version = cli.add_subcommand("version", "Print the version and build");

  CLI11_PARSE(cli, argc, argv);

  if (*version) {
    std::cout << "keel " << KEEL_VERSION << " (" << KEEL_GIT_COMMIT << ")\n";
    return 0;
  }
  if (*check_config) return run_check_config();
  return run_serve(migrate_first);
}
