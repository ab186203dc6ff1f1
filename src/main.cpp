// keel — the command line: serve (default), migrate, check-config, openapi, version.
//
// Exit codes (docs/cli.md): 0 success; 1 runtime failure (cannot bind,
// database error); 2 usage error; 64 refused (restore without --yes); 65 schema
// ahead of the binary or an applied migration edited; 69 database unreachable;
// 78 bad configuration (EX_CONFIG).
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "keel/app/app.hpp"
#include "keel/app/database_metrics.hpp"
#include "keel/config/audit.hpp"
#include "keel/config/load.hpp"
#include "keel/db/commands.hpp"
#include "keel/db/database.hpp"
#include "keel/db/error.hpp"
#include "keel/db/health.hpp"
#include "keel/observability/logger.hpp"
#include "keel/openapi/document.hpp"
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

namespace commands = keel::db::commands;

// with_database opens the configured database and runs `command` on it.
template <class Command>
int with_database(Command command) {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  try {
    keel::db::Database database(*settings);
    return command(database, commands::Output{std::cout, std::cerr, commands::stdout_is_terminal()});
  } catch (const keel::db::DatabaseError& error) {
    std::cerr << "keel: database error: " << error.what() << '\n';
    return keel::db::is_transient(error.kind()) ? commands::kExitUnavailable : kExitFailure;
  }
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
  try {
    keel::app::App app(std::move(*settings));
    auto database_options = keel::db::DatabaseOptions::from_settings(app.settings());
    keel::app::observe_queries(app.metrics(), database_options);
    // Declared after the app, so destroyed first: nothing scrapes /metrics once serve() returned.
    keel::db::Database database(std::move(database_options));
    keel::app::register_pool_metrics(app.metrics(), database);
    if (migrate_first) {
      if (const int code = commands::migrate_up(database, {std::cerr, std::cerr, false}); code != commands::kExitOk) {
        return code;
      }
    }
    if (const auto schema = keel::db::check_schema(database); !schema.ok()) {
      log.error("refusing to start: database schema does not match this binary",
                {{"detail", std::string_view(schema.message)}});
      log.flush();
      std::cerr << "keel: " << schema.message << '\n';
      return schema.state == keel::db::SchemaState::unreachable ? commands::kExitUnavailable
                                                                : commands::kExitSchema;
    }
    app.add_readiness_check("database", [&database] {
      const auto probe = keel::db::readiness(database);
      return keel::app::ReadinessResult{probe.ok, probe.reason};
    });
    service::register_routes(app);
    return keel::app::serve(app);
  } catch (const std::exception& error) {
    log.error("server failed", {{"error", error.what()}});
    log.flush();
    std::cerr << "keel: " << error.what() << '\n';
    return kExitFailure;
  }
}

// run_openapi prints the OpenAPI document the server would serve at /openapi.json
// (or, with --routes, the raw route table it is generated from).
int run_openapi(bool list_routes) {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  // stdout carries the document: logs go to stderr, errors only.
  observability::logger().configure(observability::LogLevel::error, observability::LogFormat::text,
                                    observability::fd_writer(2));
  try {
    keel::app::App app(std::move(*settings));
    service::register_routes(app);
    if (list_routes) {
      for (const auto& route : app.router().routes()) {
        std::cout << keel::http::to_string(route.method) << ' ' << route.path_template << ' '
                  << route.operation_id << (route.documented ? "" : " undocumented") << '\n';
      }
      return 0;
    }
    std::cout << keel::openapi::to_pretty_json(keel::openapi::build_document(app.router(), {}));
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "keel openapi: " << error.what() << '\n';
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

  auto* migrate = cli.add_subcommand("migrate", "Apply, roll back or list schema migrations");
  migrate->require_subcommand(1);
  auto* migrate_up = migrate->add_subcommand("up", "Apply every pending migration");
  int down_count = 1;
  auto* migrate_down = migrate->add_subcommand("down", "Roll back the latest N migrations (default 1)");
  migrate_down->add_option("N", down_count, "How many migrations to roll back")->check(CLI::PositiveNumber);
  auto* migrate_status = migrate->add_subcommand("status", "List applied and pending migrations");

  std::string backup_path;
  auto* backup = cli.add_subcommand("backup", "Write a consistent online copy of the database to PATH");
  backup->add_option("PATH", backup_path, "Backup file to write")->required();
  std::string restore_path;
  bool restore_confirmed = false;
  auto* restore = cli.add_subcommand("restore", "Replace the database with the backup at PATH");
  restore->add_option("PATH", restore_path, "Backup file to read")->required()->check(CLI::ExistingFile);
  restore->add_flag("--yes", restore_confirmed, "Confirm that the current data will be replaced");

  auto* check_config = cli.add_subcommand("check-config", "Audit the configuration against the production rules");
  auto* version = cli.add_subcommand("version", "Print the version and build");
  bool list_routes = false;
  auto* openapi = cli.add_subcommand("openapi", "Print the OpenAPI 3.1 document that /openapi.json serves");
  openapi->add_flag("--routes", list_routes, "Print the route table instead: METHOD TEMPLATE OPERATION_ID");

  CLI11_PARSE(cli, argc, argv);

  if (*version) {
    std::cout << "keel " << KEEL_VERSION << " (" << KEEL_GIT_COMMIT << ")\n";
    return 0;
  }
  if (*check_config) return run_check_config();
  if (*migrate_up) return with_database(commands::migrate_up);
  if (*migrate_down) {
    return with_database([&](auto& db, const auto& out) { return commands::migrate_down(db, down_count, out); });
  }
  if (*migrate_status) return with_database(commands::migrate_status);
  if (*backup) {
    return with_database([&](auto& db, const auto& out) { return commands::backup(db, backup_path, out); });
  }
  if (*restore) {
    return with_database(
        [&](auto& db, const auto& out) { return commands::restore(db, restore_path, restore_confirmed, out); });
  }
  if (*openapi) return run_openapi(list_routes);
  return run_serve(migrate_first);
}
