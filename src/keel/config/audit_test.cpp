#include "keel/config/audit.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "keel/config/load.hpp"

namespace keel::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kStrongKey = "k3Jd9sLq2Vx8Zt4Rw7Yp1Nm6Bc5Hf0Gu-aEiOoUyTq";

// valid_production loads a production configuration that passes every rule.
Settings valid_production() {
  const LoadResult r =
      load({{"APP_ENV", "production"},
            {"SECRET_KEY", kStrongKey},
            {"TRUSTED_HOSTS", "api.acme.test"},
            {"FORCE_HTTPS", "true"},
            {"DATABASE_URL", "postgresql://keel:pw@db.internal:5432/keel?sslmode=verify-full"},
            {"DOCS_ENABLED", "false"},
            {"METRICS_TOKEN", "metrics-token-0123456789"},
            {"DATA_ENCRYPTION_KEYS", "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="}});
  EXPECT_TRUE(r.ok()) << r.problems.front().message;
  return r.settings;
}

const AuditFinding& finding(const std::vector<AuditFinding>& findings, std::string_view rule) {
  const auto it =
      std::find_if(findings.begin(), findings.end(), [&](const AuditFinding& f) { return f.rule == rule; });
  if (it == findings.end()) throw std::runtime_error("no finding " + std::string(rule));
  return *it;
}

Severity severity(const Settings& s, std::string_view rule) { return finding(audit(s), rule).severity; }

TEST(Audit, ValidProductionConfigHasNoFailOrWarn) {
  const auto findings = audit(valid_production());
  for (const AuditFinding& f : findings) EXPECT_EQ(f.severity, Severity::pass) << f.rule << ": " << f.message;
  EXPECT_FALSE(blocks_startup(findings));
}

TEST(Audit, RulesAreReportedInOrder) {
  std::vector<std::string> rules;
  for (const AuditFinding& f : audit(valid_production())) rules.push_back(f.rule);
  EXPECT_THAT(rules, ElementsAre("secret_key_set", "secret_key_length", "secret_key_placeholder", "debug_off",
                                 "cors_no_wildcard", "trusted_hosts_set", "database_tls", "https_enforced",
                                 "docs_exposure", "metrics_protected", "encryption_keys", "log_level"));
}

// Each case breaks one rule of a valid production config, then fixes it another way.
struct RuleCase {
  const char* rule;
  std::function<void(Settings&)> break_it;
  std::function<void(Settings&)> fix_it;
};

const std::vector<RuleCase>& rule_cases() {
  static const std::vector<RuleCase> cases = {
      {"secret_key_set", [](Settings& s) { s.secret_key.clear(); },
       [](Settings& s) { s.secret_key = kStrongKey; }},
      {"secret_key_set", [](Settings& s) { s.secret_key_generated = true; },
       [](Settings& s) { s.secret_key_generated = false; }},
      {"secret_key_length", [](Settings& s) { s.secret_key = std::string(kStrongKey).substr(0, 31); },
       [](Settings& s) { s.secret_key = std::string(kStrongKey).substr(0, 32); }},
      {"secret_key_placeholder",
       [](Settings& s) { s.secret_key = "change-me-change-me-change-me-change-me"; },
       [](Settings& s) { s.secret_key = kStrongKey; }},
      {"debug_off", [](Settings& s) { s.debug = true; }, [](Settings& s) { s.debug = false; }},
      {"cors_no_wildcard",
       [](Settings& s) {
         s.cors_origins = {"https://app.acme.test", "*"};
       },
       [](Settings& s) { s.cors_origins = {"https://app.acme.test"}; }},
      {"trusted_hosts_set", [](Settings& s) { s.trusted_hosts.clear(); },
       [](Settings& s) { s.trusted_hosts = {"api.acme.test"}; }},
      {"trusted_hosts_set", [](Settings& s) { s.trusted_hosts = {"*"}; },
       [](Settings& s) { s.trusted_hosts = {"*.acme.test"}; }},
      {"database_tls", [](Settings& s) { s.database_url = "postgresql://keel:pw@db.internal/keel"; },
       [](Settings& s) { s.database_url = "postgresql://keel:pw@db.internal/keel?sslmode=require"; }},
      {"database_tls", [](Settings& s) { s.database_url = "postgresql://db.internal/keel?sslmode=prefer"; },
       [](Settings& s) { s.database_url = "postgresql://127.0.0.1/keel?sslmode=prefer"; }},
      {"database_tls", [](Settings& s) { s.database_read_url = "postgresql://replica.internal/keel"; },
       [](Settings& s) { s.database_read_url = "postgresql://replica.internal/keel?sslmode=verify-ca"; }},
      {"https_enforced", [](Settings& s) { s.force_https = false; },
       [](Settings& s) { s.trusted_proxies = {"10.0.0.0/8"}; }},
      {"https_enforced", [](Settings& s) { s.force_https = false; },
       [](Settings& s) {
         s.tls_cert_file = "/etc/keel/cert.pem";
         s.tls_key_file = "/etc/keel/key.pem";
       }},
      {"docs_exposure", [](Settings& s) { s.docs_enabled = true; },
       [](Settings& s) { s.docs_public = true; }},
      {"metrics_protected", [](Settings& s) { s.metrics_token.reset(); },
       [](Settings& s) { s.metrics_enabled = false; }},
      {"encryption_keys", [](Settings& s) { s.data_encryption_keys.clear(); },
       [](Settings& s) {
         s.data_encryption_keys = {{"k9", {}}};
       }},
      {"encryption_keys", [](Settings& s) { s.data_encryption_keys_generated = true; },
       [](Settings& s) { s.data_encryption_keys_generated = false; }},
  };
  return cases;
}

TEST(Audit, EachRuleFailsInProductionAndPassesWhenFixed) {
  for (const RuleCase& c : rule_cases()) {
    Settings s = valid_production();
    c.break_it(s);
    const auto broken = audit(s);
    EXPECT_EQ(finding(broken, c.rule).severity, Severity::fail) << c.rule;
    EXPECT_TRUE(blocks_startup(broken)) << c.rule;
    c.fix_it(s);
    EXPECT_EQ(severity(s, c.rule), Severity::pass) << c.rule << ": " << finding(audit(s), c.rule).message;
    EXPECT_FALSE(blocks_startup(audit(s))) << c.rule;
  }
}

TEST(Audit, StagingIsAsStrictAsProduction) {
  for (const RuleCase& c : rule_cases()) {
    Settings s = valid_production();
    s.app_env = AppEnv::staging;
    c.break_it(s);
    EXPECT_EQ(severity(s, c.rule), Severity::fail) << c.rule;
  }
}

TEST(Audit, DevelopmentAndTestOnlyWarn) {
  for (AppEnv env : {AppEnv::development, AppEnv::test}) {
    for (const RuleCase& c : rule_cases()) {
      Settings s = valid_production();
      s.app_env = env;
      c.break_it(s);
      EXPECT_EQ(severity(s, c.rule), Severity::warn) << c.rule;
      EXPECT_FALSE(blocks_startup(audit(s))) << c.rule;
    }
  }
}

TEST(Audit, DevelopmentDefaultsWarnButNeverBlock) {
  const auto findings = audit(load({}).settings);
  EXPECT_FALSE(blocks_startup(findings));
  EXPECT_EQ(finding(findings, "secret_key_set").severity, Severity::warn);
  EXPECT_EQ(finding(findings, "secret_key_length").severity, Severity::pass);
  EXPECT_EQ(finding(findings, "trusted_hosts_set").severity, Severity::pass);
  EXPECT_EQ(finding(findings, "encryption_keys").severity, Severity::warn);
  EXPECT_EQ(finding(findings, "https_enforced").severity, Severity::warn);
}

TEST(Audit, BareProductionBlocksStartup) {
  const auto findings = audit(load({{"APP_ENV", "production"}}).settings);
  EXPECT_TRUE(blocks_startup(findings));
  for (const char* rule : {"secret_key_set", "secret_key_length", "trusted_hosts_set", "https_enforced",
                           "docs_exposure", "metrics_protected", "encryption_keys"}) {
    EXPECT_EQ(finding(findings, rule).severity, Severity::fail) << rule;
  }
  EXPECT_EQ(finding(findings, "database_tls").severity, Severity::pass);  // default SQLite is local
  EXPECT_EQ(finding(findings, "debug_off").severity, Severity::pass);
}

TEST(Audit, DebugLogLevelWarnsInEveryProfile) {
  Settings s = valid_production();
  s.log_level = LogLevel::debug;
  EXPECT_EQ(severity(s, "log_level"), Severity::warn);
  EXPECT_FALSE(blocks_startup(audit(s)));
  s.app_env = AppEnv::development;
  EXPECT_EQ(severity(s, "log_level"), Severity::warn);
  s.log_level = LogLevel::warning;
  EXPECT_EQ(severity(s, "log_level"), Severity::pass);
}

TEST(Audit, DatabaseTlsLoopbackAndSocketHosts) {
  Settings s = valid_production();
  for (const char* ok :
       {"postgresql://localhost/keel", "postgresql://[::1]:5432/keel", "postgresql://127.0.0.2/keel",
        "postgresql:///keel", "postgresql:///keel?host=/var/run/postgresql",
        "postgresql://%2Fvar%2Frun%2Fpostgresql/keel", "sqlite:////var/lib/keel.db",
        "postgres://db.internal/keel?sslmode=verify-full&application_name=keel"}) {
    s.database_url = ok;
    EXPECT_EQ(severity(s, "database_tls"), Severity::pass) << ok;
  }
  for (const char* bad :
       {"postgresql://10.0.0.5/keel", "postgresql://localhost,db.internal/keel",
        "postgresql://localhost/keel?host=db.internal", "postgresql://db/keel?sslmode=disable"}) {
    s.database_url = bad;
    EXPECT_EQ(severity(s, "database_tls"), Severity::fail) << bad;
  }
}

TEST(Placeholder, KnownValuesAndFragments) {
  for (const char* p : {"changeme", "CHANGE_ME", "change-me", "secret", "your-secret-key", "Secret",
                        "this-is-an-EXAMPLE-key-0123456789abcdef", "placeholder-for-real-key-0123456789",
                        "please-changeme-before-deploying-123", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                        "abababababababababababababababababab", "00000000000000000000000000000000"}) {
    EXPECT_TRUE(looks_like_placeholder(p)) << p;
  }
  for (const char* real : {kStrongKey, "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWpr"}) {
    EXPECT_FALSE(looks_like_placeholder(real)) << real;
  }
}

TEST(Audit, SecretsNeverAppearInFindingsOrRendering) {
  Settings s = valid_production();
  s.secret_key = "SuperSecretValue";  // short: fails secret_key_length
  s.database_url = "postgresql://keel:SuperSecretDbPassword@db.internal/keel";
  s.database_read_url = "postgresql://keel:SuperSecretDbPassword@replica/keel";
  s.metrics_token = "SuperSecretMetrics";
  s.redis_url = "redis://:SuperSecretRedis@cache:6379";
  s.smtp_url = "smtp://u:SuperSecretSmtp@mail:25";
  const auto findings = audit(s);
  EXPECT_EQ(finding(findings, "secret_key_length").severity, Severity::fail);
  EXPECT_EQ(finding(findings, "database_tls").severity, Severity::fail);
  EXPECT_THAT(finding(findings, "database_tls").message, HasSubstr("DATABASE_URL and DATABASE_READ_URL"));
  for (const AuditFinding& f : findings) EXPECT_THAT(f.message, Not(HasSubstr("SuperSecret"))) << f.rule;
  EXPECT_THAT(render_audit(findings), Not(HasSubstr("SuperSecret")));

  // The generated development key is not printed either.
  const Settings dev = load({}).settings;
  EXPECT_THAT(render_audit(audit(dev)), Not(HasSubstr(dev.secret_key)));
}

TEST(RenderAudit, OneAlignedLinePerRule) {
  const std::vector<AuditFinding> findings = {
      {"secret_key_length", Severity::pass, "SECRET_KEY is at least 32 bytes"},
      {"debug_off", Severity::fail, "DEBUG is on"},
      {"log_level", Severity::warn, "LOG_LEVEL is debug"},
  };
  EXPECT_EQ(render_audit(findings),
            "PASS  secret_key_length  SECRET_KEY is at least 32 bytes\n"
            "FAIL  debug_off          DEBUG is on\n"
            "WARN  log_level          LOG_LEVEL is debug\n");
  EXPECT_EQ(render_audit({}), "");
  EXPECT_EQ(to_string(Severity::warn), "warn");
}

}  // namespace
}  // namespace keel::config
