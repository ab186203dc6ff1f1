#include "service/admin/routes.hpp"

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/app/query.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/openapi/describe.hpp"
#include "service/admin/admin_sql.hpp"
#include "service/admin/user_admin.hpp"
#include "service/audit_events.hpp"
#include "service/items/page_cursor.hpp"
#include "service/privacy/account_data.hpp"
#include "service/privacy/privacy_sql.hpp"

namespace service::admin {
namespace {

namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::errors::FieldError;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kUsersTag{"users", "Accounts. The /users/{id} routes are for administrators (`admin`)."};
constexpr keel::http::Tag kAdminTag{"admin", "Administration: the audit log of sensitive operations."};

constexpr keel::app::IntParam kUserLimit{.min = 1, .max = 100, .fallback = 20};
constexpr keel::app::IntParam kAuditLimit{.min = 1, .max = 100, .fallback = 50};
// kMaxFilterLength bounds the free-text filters (ids and action names are far shorter).
constexpr std::size_t kMaxFilterLength = 200;

// query_text reads an optional string filter (422 when too long).
std::optional<std::string> query_text(const Request& request, std::string_view name) {
  auto value = request.query_param(name);
  if (value && value->size() > kMaxFilterLength) {
    throw ApiError(ErrorCode::validation_error, "Invalid query parameter.",
                   {FieldError{{std::string("query"), std::string(name)}, "String should have at most 200 characters",
                               "string_too_long"}});
  }
  return value;
}

// query_time reads an optional ISO 8601 filter as a stored-form timestamp (422 when malformed).
std::optional<std::string> query_time(const Request& request, std::string_view name) {
  const auto value = request.query_param(name);
  if (!value) return std::nullopt;
  auto parsed = keel::audit::parse_timestamp(*value);
  if (!parsed) {
    throw ApiError(ErrorCode::validation_error, "Invalid query parameter.",
                   {FieldError{{std::string("query"), std::string(name)},
                               "Input should be an ISO 8601 date-time with a time zone, or a date",
                               "datetime_parsing"}});
  }
  return parsed;
}

class AdminRoutes {
 public:
  explicit AdminRoutes(ServiceContext& context)
      : context_(context), cursors_(context.app.settings().secret_key, "admin.users") {}

  Response list_users(Request& request) const {
    const auto limit = keel::app::query_int(request, "limit", kUserLimit);
    std::string after;
    if (const auto cursor = request.query_param("cursor")) {
      auto position = cursors_.open(*cursor, "");
      if (!position) throw ApiError(ErrorCode::invalid_cursor, "The cursor is not valid for this listing.");
      after = std::move(*position);
    }
    auto connection = context_.database.acquire_read();
    auto slice = admin::list_users(connection, after, limit);
    UserPage page{.items = std::move(slice.users), .next_cursor = std::nullopt};
    if (slice.more) page.next_cursor = cursors_.seal(page.items.back().id, "");
    return keel::app::json_response(200, page);
  }

  Response create_user(Request& request) const {
    auto input = keel::app::parse_body<AdminUserCreate>(request);
    const std::string email = users::normalize_email(input.email);
    users::check_new_password(input.password, email, input.full_name, context_.app.settings(), "password");
    const std::string hash = context_.passwords.hash(input.password);
    users::User created;
    context_.database.in_transaction([&](keel::db::Connection& connection) {
      created = users::insert_user(connection, {.email = email, .full_name = input.full_name,
                                                .password_hash = hash, .is_superuser = input.is_superuser,
                                                .email_verified = false});
      if (!input.is_active) {
        created.is_active = false;
        connection.execute(sql::kUpdateUser, {created.id, created.email, created.full_name, false,
                                              created.is_superuser, created.email_verified, created.updated_at});
      }
      auto event = audit_event(request, "admin.user_create");
      event.target_type = "user";
      event.target_id = created.id;
      event.details = {{"is_superuser", created.is_superuser}, {"is_active", created.is_active}};
      keel::audit::record(connection, event);
    });
    return Response::json(201, users::user_json(created)).with_header("Location", "/api/v1/users/" + created.id);
  }

  Response get_user(Request& request) const {
    auto connection = context_.database.acquire();
    const auto user = users::find_user_by_id(connection, request.path_param("id"));
    if (!user) throw ApiError(ErrorCode::not_found, "No such user.");
    return Response::json(200, users::user_json(*user));
  }

  Response update_user(Request& request) const {
    const auto& caller = keel::app::principal(request);
    const auto patch = keel::app::parse_body<AdminUserUpdate>(request);
    users::User target;
    try {
      context_.database.in_transaction([&](keel::db::Connection& connection) {
        auto found = users::find_user_by_id(connection, request.path_param("id"));
        if (!found) throw ApiError(ErrorCode::not_found, "No such user.");
        target = std::move(*found);
        const auto changed = admin::update_user(connection, caller.subject, target, patch);
        if (changed.empty()) return;
        boost::json::array fields;
        for (const auto& name : changed) fields.emplace_back(name);
        auto event = audit_event(request, "admin.user_update");
        event.target_type = "user";
        event.target_id = target.id;
        event.details = {{"changed", std::move(fields)}};
        keel::audit::record(connection, event);
      });
    } catch (const ApiError& error) {
      if (error.code() == ErrorCode::conflict) record_denied(request, "admin.user_update");
      throw;
    }
    return Response::json(200, users::user_json(target));
  }

  Response delete_user(Request& request) const {
    const auto& caller = keel::app::principal(request);
    const std::string id(request.path_param("id"));
    if (id == caller.subject) {
      record_denied(request, "admin.user_delete");
      throw ApiError(ErrorCode::conflict, "Administrators cannot delete themselves here; use DELETE /users/me.");
    }
    std::optional<users::User> user;
    {
      auto connection = context_.database.acquire();
      user = users::find_user_by_id(connection, id);
    }
    if (!user) throw ApiError(ErrorCode::not_found, "No such user.");
    privacy::erase_account(context_, *user, audit_event(request, "admin.user_delete"));
    return Response::no_content();
  }

  Response audit_log(Request& request) const {
    keel::audit::AuditFilter filter{.actor_id = query_text(request, "actor_id"),
                                    .action = query_text(request, "action"),
                                    .since = query_time(request, "since"),
                                    .until = query_time(request, "until")};
    const auto limit = keel::app::query_int(request, "limit", kAuditLimit);
    std::optional<keel::audit::Cursor> after;
    if (const auto cursor = request.query_param("cursor")) {
      after = keel::audit::decode_cursor(*cursor);
      if (!after) throw ApiError(ErrorCode::invalid_cursor, "The cursor is not valid for this listing.");
    }
    auto connection = context_.database.acquire_read();
    const auto page = keel::audit::list_events(connection, filter, limit, after);
    boost::json::array events;
    for (const auto& row : page.events) events.push_back(keel::audit::to_json(row));
    const boost::json::object body{
        {"items", std::move(events)},
        {"next_cursor", page.next_cursor ? boost::json::value(*page.next_cursor) : boost::json::value(nullptr)}};
    return Response::json(200, boost::json::serialize(body));
  }

 private:
  // record_denied audits a refused attempt on the caller's own account.
  void record_denied(const Request& request, std::string action) const {
    auto event = audit_event(request, std::move(action), keel::audit::Outcome::denied);
    event.target_type = "user";
    event.target_id = std::string(request.path_param("id"));
    event.details = {{"reason", "self"}};
    keel::audit::record(context_.database, event);
  }

  ServiceContext& context_;
  items::PageCursors cursors_;
};

constexpr std::string_view kAuditPageSchema = R"json({
  "type": "object",
  "required": ["items", "next_cursor"],
  "properties": {
    "items": {"type": "array", "items": {
      "type": "object",
      "required": ["id", "at", "actor_id", "action", "target_type", "target_id", "ip", "request_id", "outcome", "details"],
      "properties": {
        "id": {"type": "string"},
        "at": {"type": "string", "description": "ISO 8601 UTC, milliseconds"},
        "actor_id": {"type": ["string", "null"], "description": "Who acted: a user id, or a deleted-user-… pseudonym"},
        "action": {"type": "string", "examples": ["auth.login"]},
        "target_type": {"type": ["string", "null"]},
        "target_id": {"type": ["string", "null"]},
        "ip": {"type": ["string", "null"]},
        "request_id": {"type": ["string", "null"]},
        "outcome": {"type": "string", "enum": ["success", "failure", "denied"]},
        "details": {"type": "object", "description": "Context; never secrets"}
      }}},
    "next_cursor": {"type": ["string", "null"], "description": "Pass as `cursor` for the next page; null at the end"}
  }
})json";

}  // namespace

void register_admin_routes(ServiceContext& context) {
  context.database.register_statements(sql::kAdminStatements);
  context.database.register_statements(privacy::sql::kPrivacyStatements);
  context.database.register_statements(keel::audit::statements());
  auto routes = std::make_shared<AdminRoutes>(context);
  auto& router = context.app.router();

  router.add(Method::get, "/api/v1/users", [routes](Request& r) { return routes->list_users(r); })
      .named("list_users").tagged(kUsersTag).requires_scope("admin")
      .summarized("List accounts in creation order (keyset pagination).")
      .param(doc::query_integer("limit", kUserLimit, "Page size."))
      .param(doc::query_string("cursor", 1, 512, "`next_cursor` of the previous page."))
      .responds(doc::response(200, "One page of accounts.", doc::json<UserPage>()))
      .responds(doc::problem(400, "`invalid_cursor`: the cursor was not issued by this listing."));

  router.add(Method::post, "/api/v1/users", [routes](Request& r) { return routes->create_user(r); })
      .named("create_user").tagged(kUsersTag).status(201).requires_scope("admin")
      .summarized("Create an account (same email and password rules as registration).")
      .body(doc::json(AdminUserCreate{.email = "bob@example.com", .password = "tangerine-okapi-harbour",
                                      .full_name = "Bob Ray", .is_superuser = false, .is_active = true}))
      .responds(doc::response(201, "The new account.", doc::json<users::User>()).with_header(doc::location()))
      .responds(doc::problem(409, "`email_taken`: an account with this email exists."));

  router.add(Method::get, "/api/v1/users/{id}", [routes](Request& r) { return routes->get_user(r); })
      .named("get_user").tagged(kUsersTag).requires_scope("admin")
      .summarized("Read an account.")
      .param(doc::path("id", "The account's id."))
      .responds(doc::response(200, "The account.", doc::json<users::User>()));

  router.add(Method::patch, "/api/v1/users/{id}", [routes](Request& r) { return routes->update_user(r); })
      .named("update_user").tagged(kUsersTag).requires_scope("admin")
      .summarized("Change an account's email, name, active or superuser flag.")
      .described("Deactivating or demoting signs the user out everywhere. Administrators cannot deactivate or "
                 "demote themselves (409 `conflict`).")
      .param(doc::path("id", "The account's id."))
      .body(doc::json<AdminUserUpdate>())
      .responds(doc::response(200, "The account, as changed.", doc::json<users::User>()))
      .responds(doc::problem(409, "`conflict`: the change would demote or deactivate the caller; "
                                  "`email_taken`: the email belongs to another account."));

  router.add(Method::delete_, "/api/v1/users/{id}", [routes](Request& r) { return routes->delete_user(r); })
      .named("delete_user").tagged(kUsersTag).status(204).requires_scope("admin")
      .summarized("Delete an account and everything it owns (as DELETE /users/me does).")
      .param(doc::path("id", "The account's id."))
      .responds(doc::response(204, "Deleted."))
      .responds(doc::problem(409, "`conflict`: administrators cannot delete themselves here."));

  router.add(Method::get, "/api/v1/admin/audit-log", [routes](Request& r) { return routes->audit_log(r); })
      .named("list_audit_events").tagged(kAdminTag).requires_scope("admin")
      .summarized("Audit events, newest first, with filters (keyset pagination).")
      .param(doc::query_string("actor_id", 1, 200, "Only events by this user id (or pseudonym)."))
      .param(doc::query_string("action", 1, 200, "Only this action, e.g. `auth.login`."))
      .param(doc::query_string("since", 10, 40, "Only events at or after this ISO 8601 time (or date)."))
      .param(doc::query_string("until", 10, 40, "Only events at or before this ISO 8601 time (or date)."))
      .param(doc::query_integer("limit", kAuditLimit, "Page size."))
      .param(doc::query_string("cursor", 1, 128, "`next_cursor` of the previous page."))
      .responds(doc::response(200, "One page of events.", doc::json_schema_body(std::string(kAuditPageSchema))))
      .responds(doc::problem(400, "`invalid_cursor`: the cursor is malformed."));
}

}  // namespace service::admin
