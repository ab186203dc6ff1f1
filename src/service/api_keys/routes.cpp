#include "service/api_keys/routes.hpp"

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/audit/audit_log.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/openapi/describe.hpp"
#include "service/api_keys/api_key.hpp"
#include "service/api_keys/api_keys_sql.hpp"
#include "service/audit_events.hpp"

namespace service::api_keys {
namespace {

namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kApiKeysTag{
    "api-keys",
    "Long-lived credentials for scripts: sent as `X-API-Key`, scoped, optionally expiring. The key is shown "
    "once; only its SHA-256 is stored."};

// ApiKeyRoutes holds what the handlers share.
class ApiKeyRoutes {
 public:
  explicit ApiKeyRoutes(ServiceContext& context) : context_(context) {}

  Response create(Request& request) const {
    const auto& caller = keel::app::principal(request);
    if (caller.credential != keel::http::Principal::Credential::bearer) {
      throw ApiError(ErrorCode::forbidden, "API keys are created by a signed-in user, not with another API key.");
    }
    const auto input = keel::app::parse_body<ApiKeyCreate>(request);
    CreatedApiKey created;
    users::User owner;
    context_.database.in_transaction([&](keel::db::Connection& connection) {
      auto found = users::find_user_by_id(connection, caller.subject);
      if (!found) throw ApiError(ErrorCode::invalid_token, "The account no longer exists.");
      owner = std::move(*found);
      created = create_key(connection, owner, input, keel::audit::now_timestamp());
      auto event = audit_event(request, "api_key.create");
      event.target_type = "api_key";
      event.target_id = created.id;
      boost::json::array scopes;
      for (const auto& scope : created.scopes) scopes.emplace_back(scope);
      event.details = {{"name", created.name}, {"prefix", created.prefix}, {"scopes", std::move(scopes)},
                       {"expires_at", created.expires_at ? boost::json::value(*created.expires_at) : nullptr}};
      keel::audit::record(connection, event);
    });
    // A security notice: if someone else made the key, the owner learns of it.
    std::string scopes;
    for (const auto& scope : created.scopes) scopes += (scopes.empty() ? "" : " ") + scope;
    context_.email.send("api_key_created", owner.email,
                        {{"app_name", "Keel"}, {"full_name", owner.full_name.value_or(owner.email)},
                         {"email", owner.email}, {"key_name", created.name}, {"key_prefix", created.prefix},
                         {"scopes", scopes}, {"created_at", created.created_at}});
    return keel::app::json_response(201, created);
  }

  Response list(Request& request) const {
    const auto& caller = keel::app::principal(request);
    auto connection = context_.database.acquire();
    return keel::app::json_response(200, ApiKeyList{list_keys(connection, caller.subject)});
  }

  Response remove(Request& request) const {
    const auto& caller = keel::app::principal(request);
    const std::string key_id(request.path_param("id"));
    context_.database.in_transaction([&](keel::db::Connection& connection) {
      // Someone else's key is "not found": its existence is not revealed.
      if (!delete_key(connection, caller.subject, key_id)) throw ApiError(ErrorCode::not_found, "No such API key.");
      auto event = audit_event(request, "api_key.delete");
      event.target_type = "api_key";
      event.target_id = key_id;
      keel::audit::record(connection, event);
    });
    return Response::no_content();
  }

 private:
  ServiceContext& context_;
};

}  // namespace

void register_api_key_routes(ServiceContext& context) {
  context.database.register_statements(sql::kApiKeyStatements);
  context.database.register_statements(keel::audit::statements());
  auto routes = std::make_shared<ApiKeyRoutes>(context);
  auto& router = context.app.router();

  router.add(Method::post, "/api/v1/api-keys", [routes](Request& r) { return routes->create(r); })
      .named("create_api_key").tagged(kApiKeysTag).status(201).requires_scope("profile")
      .summarized("Create an API key (the key is in this response only).")
      .described("Needs a bearer token: an API key cannot create keys (403 `forbidden`). Scopes outside what "
                 "the account may have (`admin` without being a superuser) are 400 `invalid_scope`; unknown "
                 "scope names are 422. At most 100 keys per account (409 `conflict`).")
      .body(doc::json(ApiKeyCreate{.name = "CI deploy", .scopes = {"items:read"}, .expires_in_days = 90}))
      .responds(doc::response(201, "The key, with its secret shown this once.", doc::json<CreatedApiKey>()))
      .responds(doc::problem(400, "`invalid_scope`: a scope this account may not have."))
      .responds(doc::problem(409, "`conflict`: the account already holds 100 keys."));

  router.add(Method::get, "/api/v1/api-keys", [routes](Request& r) { return routes->list(r); })
      .named("list_api_keys").tagged(kApiKeysTag).requires_scope("profile")
      .summarized("List the caller's API keys (metadata only; never the key).")
      .responds(doc::response(200, "The caller's keys, oldest first.", doc::json<ApiKeyList>()));

  router.add(Method::delete_, "/api/v1/api-keys/{id}", [routes](Request& r) { return routes->remove(r); })
      .named("delete_api_key").tagged(kApiKeysTag).status(204).requires_scope("profile")
      .summarized("Delete (revoke) one of the caller's API keys; it stops working at once.")
      .param(doc::path("id", "The key's id."))
      .responds(doc::response(204, "Deleted."))
      .responds(doc::problem(404, "No such key among the caller's."));
}

}  // namespace service::api_keys
