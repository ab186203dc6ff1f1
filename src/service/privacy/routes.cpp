#include "service/privacy/routes.hpp"

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/openapi/describe.hpp"
#include "service/api_keys/api_key.hpp"
#include "service/api_keys/api_keys_sql.hpp"
#include "service/audit_events.hpp"
#include "service/privacy/account_data.hpp"
#include "service/privacy/privacy_sql.hpp"

namespace service::privacy {
namespace {

namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kPrivacyTag{
    "privacy", "The caller's own data: a complete export (GDPR art. 15/20) and account deletion (art. 17)."};

// AccountDeletion is DELETE /users/me's body.
struct AccountDeletion {
  std::string password;

  static constexpr std::string_view kModelName = "AccountDeletion";
  template <class V>
  static void fields(V& v) {
    v.field("password", &AccountDeletion::password, keel::model::length(1, 1024),
            keel::model::describe("The account's current password, to confirm"));
  }
};

constexpr std::string_view kExportSchema = R"json({
  "type": "object",
  "required": ["exported_at", "profile", "items", "attachments", "api_keys", "sessions", "audit_events"],
  "properties": {
    "exported_at": {"type": "string", "description": "ISO 8601 UTC"},
    "profile": {"$ref": "#/components/schemas/User"},
    "items": {"type": "array", "items": {"type": "object"}, "description": "The caller's items"},
    "attachments": {"type": "array", "items": {"type": "object"}, "description": "Attachment metadata (no content)"},
    "api_keys": {"type": "array", "items": {"$ref": "#/components/schemas/ApiKey"}},
    "sessions": {"type": "array", "items": {"type": "object"},
                 "description": "Sign-in sessions: created, last used, revoked, client address and agent"},
    "audit_events": {"type": "array", "items": {"type": "object"},
                     "description": "Audit events with the caller as actor or target, oldest first (at most 10000)"}
  }
})json";

class PrivacyRoutes {
 public:
  explicit PrivacyRoutes(ServiceContext& context) : context_(context) {}

  Response export_data(Request& request) const {
    const auto& caller = keel::app::principal(request);
    boost::json::object data;
    context_.database.in_transaction([&](keel::db::Connection& connection) {
      const auto user = users::find_user_by_id(connection, caller.subject);
      if (!user) throw ApiError(ErrorCode::invalid_token, "The account no longer exists.");
      // Recorded first, so the export shows its own request too.
      auto event = audit_event(request, "user.data_export");
      event.target_type = "user";
      event.target_id = user->id;
      keel::audit::record(connection, event);
      data = export_account(connection, *user);
    });
    return Response::json(200, boost::json::serialize(data));
  }

  Response delete_me(Request& request) const {
    const auto& caller = keel::app::principal(request);
    const auto input = keel::app::parse_body<AccountDeletion>(request);
    std::optional<users::StoredUser> stored;
    {
      auto connection = context_.database.acquire();
      stored = users::find_stored_user_by_id(connection, caller.subject);
    }
    if (!stored) throw ApiError(ErrorCode::invalid_token, "The account no longer exists.");
    if (!context_.passwords.verify(stored->password_hash, input.password).ok) {
      auto event = audit_event(request, "user.account_deleted", keel::audit::Outcome::failure);
      event.target_type = "user";
      event.target_id = stored->user.id;
      event.details = {{"reason", "wrong password"}};
      keel::audit::record(context_.database, event);
      throw ApiError(ErrorCode::forbidden, "The password is not correct.");
    }
    erase_account(context_, stored->user, audit_event(request, "user.account_deleted"));
    return Response::no_content();
  }

 private:
  ServiceContext& context_;
};

}  // namespace

void register_privacy_routes(ServiceContext& context) {
  context.database.register_statements(sql::kPrivacyStatements);
  context.database.register_statements(api_keys::sql::kApiKeyStatements);
  context.database.register_statements(keel::audit::statements());
  auto routes = std::make_shared<PrivacyRoutes>(context);
  auto& router = context.app.router();

  auto export_body = doc::json_schema_body(std::string(kExportSchema));
  {
    // The schema refers to User and ApiKey: ship their components with it.
    boost::json::object components = boost::json::parse(doc::json<users::User>().components).as_object();
    const boost::json::value key_components = boost::json::parse(doc::json<api_keys::ApiKey>().components);
    for (const auto& [name, schema] : key_components.as_object()) components[name] = schema;
    export_body.components = boost::json::serialize(components);
  }
  router.add(Method::get, "/api/v1/users/me/export", [routes](Request& r) { return routes->export_data(r); })
      .named("export_my_data").tagged(kPrivacyTag).requires_scope("profile")
      .summarized("Export everything held about the caller, as one JSON document.")
      .described("Profile, items, attachment metadata, API key metadata (never keys or hashes), sessions, and "
                 "the audit events in which the caller is actor or target. The export itself is audited.")
      .responds(doc::response(200, "The caller's data.", std::move(export_body)));

  router.add(Method::delete_, "/api/v1/users/me", [routes](Request& r) { return routes->delete_me(r); })
      .named("delete_my_account").tagged(kPrivacyTag).status(204).requires_scope("profile")
      .summarized("Delete the caller's account and everything it owns.")
      .described("Confirms with the password (403 `forbidden` when wrong). Items, attachments (rows and files), "
                 "sessions, tokens and API keys are removed; every credential stops working at once. The audit "
                 "log keeps its records with the person replaced by a random pseudonym. An account_deleted "
                 "email is sent.")
      .body(doc::json(AccountDeletion{.password = "correct horse battery staple"}))
      .responds(doc::response(204, "Deleted."))
      .responds(doc::problem(403, "`forbidden`: the password is not correct."));
}

}  // namespace service::privacy
