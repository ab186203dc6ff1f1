// keel — the command line: serve (default), migrate, check-config, openapi, version.
//
// Exit codes (docs/cli.md): 0 success; 1 runtime failure (cannot bind,
// database error); 2 usage error; 64 refused (restore without --yes); 65 schema
// ahead of the binary or an applied migration edited; 69 database unreachable;
// 78 bad configuration (EX_CONFIG).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>

#include "keel/app/app.hpp"
#include "keel/app/database_metrics.hpp"
#include "keel/config/audit.hpp"
#include "keel/config/load.hpp"
#include "keel/db/catalog.hpp"
#include "keel/db/commands.hpp"
#include "keel/db/database.hpp"
#include "keel/db/error.hpp"
#include "keel/db/health.hpp"
#include "keel/observability/logger.hpp"
#include "keel/mail/mailer.hpp"
#include "keel/mail/templates.hpp"
#include "keel/openapi/docs_site.hpp"
#include "keel/openapi/document.hpp"
#include "keel/security/data_cipher.hpp"
#include "keel/security/password_hasher.hpp"
#include "keel/security/password_policy.hpp"
#include "keel/jobs/commands.hpp"
#include "keel/jobs/jobs_sql.hpp"
#include "keel/jobs/runner.hpp"
#include "service/email/email_payload.hpp"
#include "service/email/email_sender.hpp"
#include "service/email/rotate_keys.hpp"
#include "service/webhooks/rotate_secrets.hpp"
#include "service/routes.hpp"
#include "service/users/create_admin.hpp"

namespace {

namespace config = keel::config;
namespace observability = keel::observability;

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

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

// run_create_admin creates (or promotes) a superuser. The password comes from
// KEEL_ADMIN_PASSWORD or the first line of stdin — never argv, where `ps` and
// shell history would show it.
int run_create_admin(const std::string& email) {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  std::string password;
  // Read once, before any thread starts.
  if (const char* from_env = std::getenv("KEEL_ADMIN_PASSWORD")) {  // NOLINT(concurrency-mt-unsafe)
    password = from_env;
  } else {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  }
  if (password.empty()) {
    std::cerr << "keel create-admin: no password: pipe it on stdin or set KEEL_ADMIN_PASSWORD\n";
    return kExitUsage;
  }
  try {
    keel::db::Database database(*settings);
    keel::security::PasswordHasher hasher({});
    const keel::security::PasswordPolicy policy{.min_entropy_bits = static_cast<double>(settings->password_min_entropy_bits)};
    return service::users::create_admin(database, hasher, policy, email, password, std::cout, std::cerr);
  } catch (const keel::db::DatabaseError& error) {
    std::cerr << "keel: database error: " << error.what() << '\n';
    return keel::db::is_transient(error.kind()) ? keel::db::commands::kExitUnavailable : kExitFailure;
  }
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

// run_rotate_keys re-seals stored encrypted data under the current DATA_ENCRYPTION_KEYS key.
int run_rotate_keys() {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  try {
    keel::db::Database database(*settings);
    if (settings->data_encryption_keys.empty() || settings->data_encryption_keys_generated) {
      return service::rotate_keys_command(database, *settings, std::cout, std::cerr);  // explains, exits 78
    }
    // Webhook secrets first, one JSON line; then the email payloads, whose summary line ends the output.
    const auto hooks = service::webhooks::rotate_webhook_secrets(database, service::data_cipher_from_settings(*settings));
    std::cout << R"({"webhook_secrets":{"scanned":)" << hooks.scanned << R"(,"resealed":)" << hooks.resealed
              << R"(,"already_current":)" << hooks.already_current << R"(,"unreadable":)" << hooks.unreadable
              << "}}\n";
    const int emails = service::rotate_keys_command(database, *settings, std::cout, std::cerr);
    if (hooks.unreadable > 0) {
      std::cerr << "keel rotate-keys: " << hooks.unreadable
                << " webhook secret(s) open under no configured key and were left unchanged\n";
      return kExitFailure;
    }
    return emails;
  } catch (const keel::db::DatabaseError& error) {
    std::cerr << "keel: database error: " << error.what() << '\n';
    return keel::db::is_transient(error.kind()) ? commands::kExitUnavailable : kExitFailure;
  }
}

// ServiceParts are what the service is built with besides the app and the database.
struct ServiceParts {
  ServiceParts(keel::app::App& app, keel::db::Database& database)
      : passwords({.parameters = {},
                   // Half the handler threads at most: a login flood leaves the rest for other requests.
                   .max_concurrent = static_cast<std::size_t>(std::max(1, app.settings().workers / 2)),
                   .queue_timeout = std::chrono::milliseconds(1000)}),
        mailer(keel::mail::make_mailer(app.settings(), app.settings().outbox_dir)),
        cipher(service::data_cipher_from_settings(app.settings())),
        email(database, cipher),
        jobs(database, {.metrics = &app.metrics()}) {
    database.register_statements(keel::jobs::kJobStatements);
    jobs.register_handler(std::string(service::kEmailJobKind), service::EmailDelivery(load_templates(), *mailer, cipher));
  }

  static std::optional<keel::mail::TemplateSet> load_templates() {
    // KEEL_EMAIL_TEMPLATES is an install path, not a setting; read before any thread starts.
    const char* override_dir = std::getenv("KEEL_EMAIL_TEMPLATES");  // NOLINT(concurrency-mt-unsafe)
    auto& log = observability::logger();
    const auto dir = keel::mail::find_templates_dir(override_dir, keel::openapi::executable_path());
    if (!dir) {
      log.error("email templates not found: emails will not be sent",
                {{"hint", "install share/keel/templates/email, or set KEEL_EMAIL_TEMPLATES"}});
      return std::nullopt;
    }
    auto loaded = keel::mail::TemplateSet::load(*dir);
    for (const auto& problem : loaded.problems) log.error("email template problem", {{"detail", problem}});
    return std::move(loaded.templates);
  }

  keel::security::PasswordHasher passwords;
  std::unique_ptr<keel::mail::Mailer> mailer;
  keel::security::DataCipher cipher;  // DATA_ENCRYPTION_KEYS: seals email job payloads (docs/encryption.md)
  service::QueuedEmailSender email;
  keel::jobs::JobRunner jobs;
};

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
    // In development and tests a query missing from the statement catalog fails
    // loudly, so the EXPLAIN check (keel explain-queries) provably sees every query.
    const auto env = app.settings().app_env;
    database_options.enforce_catalog = env == config::AppEnv::development || env == config::AppEnv::test;
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
    ServiceParts parts(app, database);
    // Stored data sealed under a key the configuration lacks is a configuration error (a random
    // development key is new each start: nothing stored can need it, so there is nothing to check).
    if (!app.settings().data_encryption_keys_generated) {
      auto problem = service::check_stored_email_keys(database, parts.cipher);
      if (!problem) problem = service::webhooks::check_stored_webhook_keys(database, parts.cipher);
      if (problem) {
        log.error("refusing to start: stored data needs a key DATA_ENCRYPTION_KEYS lacks",
                  {{"detail", std::string_view(*problem)}});
        log.flush();
        std::cerr << "keel: " << *problem << '\n';
        return config::kExitConfig;
      }
    }
    service::ServiceContext context{app, database, parts.passwords, parts.email, parts.jobs};
    service::register_routes(context);
    if (app.settings().job_workers > 0) parts.jobs.start(app.settings().job_workers);
    const int exit_code = keel::app::serve(app);
    // The server drained; running jobs get the same grace, the rest stay queued for the next start.
    if (!parts.jobs.stop(std::chrono::milliseconds(app.settings().shutdown_grace_ms))) {
      log.warning("a job outlived the shutdown grace; another process will retry it");
    }
    return exit_code;
  } catch (const std::exception& error) {
    log.error("server failed", {{"error", error.what()}});
    log.flush();
    std::cerr << "keel: " << error.what() << '\n';
    return kExitFailure;
  }
}

// run_explain_queries plans every statement the service registers against the
// configured (migrated) database and fails on a full scan nobody declared.
int run_explain_queries() {
  auto settings = load_settings();
  if (!settings) return config::kExitConfig;
  observability::logger().configure(observability::LogLevel::error, observability::LogFormat::text,
                                    observability::fd_writer(2));
  try {
    keel::app::App app(std::move(*settings));
    keel::db::Database database(app.settings());
    ServiceParts parts(app, database);
    service::ServiceContext context{app, database, parts.passwords, parts.email, parts.jobs};
    service::register_routes(context);
    const auto statements = database.catalog().statements();
    auto connection = database.acquire();
    const auto report = keel::db::explain_statements(connection, statements);
    for (const auto& scan : report.accepted_scans) {
      std::cout << "accepted full scan: " << scan.statement << " on " << scan.table << " (" << scan.reason << ")\n";
    }
    std::cout << statements.size() << " statements planned on " << keel::db::to_string(database.dialect()) << '\n';
    if (!report.ok()) {
      std::cerr << report.summary();
      return kExitFailure;
    }
    return 0;
  } catch (const keel::db::DatabaseError& error) {
    std::cerr << "keel: database error: " << error.what() << '\n';
    return keel::db::is_transient(error.kind()) ? keel::db::commands::kExitUnavailable : kExitFailure;
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
    // Routes are only described, never run: the database is not connected (it connects lazily).
    keel::db::Database database(app.settings());
    ServiceParts parts(app, database);
    service::ServiceContext context{app, database, parts.passwords, parts.email, parts.jobs};
    service::register_routes(context);
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

  std::string admin_email;
  auto* create_admin = cli.add_subcommand(
      "create-admin", "Create a superuser (or promote an existing user); password from stdin or KEEL_ADMIN_PASSWORD");
  create_admin->add_option("--email", admin_email, "The administrator's email address")->required();

  auto* explain_queries = cli.add_subcommand(
      "explain-queries", "Plan every query the service makes; fail on an undeclared full table scan");

  auto* jobs = cli.add_subcommand("jobs", "Inspect and manage the background job queue");
  jobs->require_subcommand(1);
  std::string jobs_state;
  int jobs_limit = keel::jobs::commands::kDefaultListLimit;
  auto* jobs_list = jobs->add_subcommand("list", "List jobs (JSON lines), newest first");
  jobs_list->add_option("--state", jobs_state, "Only jobs in this state: queued, running, succeeded, dead");
  jobs_list->add_option("--limit", jobs_limit, "At most this many jobs")->check(CLI::PositiveNumber);
  std::string retry_id;
  auto* jobs_retry = jobs->add_subcommand("retry", "Queue a dead job again, with its attempts reset");
  jobs_retry->add_option("ID", retry_id, "The job id")->required();
  int purge_days = 0;
  auto* jobs_purge = jobs->add_subcommand("purge-dead", "Delete dead jobs");
  jobs_purge->add_option("--older-than-days", purge_days, "Only those that died at least N days ago")
      ->check(CLI::NonNegativeNumber);

  auto* rotate_keys = cli.add_subcommand(
      "rotate-keys", "Re-encrypt stored data under the first DATA_ENCRYPTION_KEYS key (JSON lines)");

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
  if (*create_admin) return run_create_admin(admin_email);
  if (*explain_queries) return run_explain_queries();
  if (*rotate_keys) return run_rotate_keys();
  if (*jobs_list) {
    return with_database([&](auto& db, const auto& out) {
      return keel::jobs::commands::list(db, jobs_state.empty() ? std::nullopt : std::optional<std::string_view>(jobs_state),
                                        jobs_limit, out);
    });
  }
  if (*jobs_retry) {
    return with_database([&](auto& db, const auto& out) { return keel::jobs::commands::retry(db, retry_id, out); });
  }
  if (*jobs_purge) {
    return with_database(
        [&](auto& db, const auto& out) { return keel::jobs::commands::purge_dead(db, purge_days, out); });
  }
  return run_serve(migrate_first);
}
