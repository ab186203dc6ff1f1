#include "service/webhooks/routes.hpp"

#include <memory>
#include <utility>

#include <boost/json.hpp>

#include "keel/app/auth.hpp"
#include "keel/app/json_body.hpp"
#include "keel/audit/timestamp.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/openapi/describe.hpp"
#include "keel/security/random.hpp"
#include "service/email/email_payload.hpp"
#include "service/webhooks/delivery.hpp"
#include "service/webhooks/target_guard.hpp"
#include "service/webhooks/webhook.hpp"
#include "service/webhooks/webhooks_sql.hpp"

namespace service::webhooks {
namespace {

namespace doc = keel::openapi;
using keel::errors::ApiError;
using keel::errors::ErrorCode;
using keel::http::Method;
using keel::http::Request;
using keel::http::Response;

constexpr keel::http::Tag kWebhooksTag{
    "webhooks",
    "Outgoing webhooks: item events POSTed to your HTTPS endpoint, signed with HMAC-SHA256 "
    "(docs/webhooks.md). The secret is shown once."};

std::vector<std::string> events_from(const std::string& stored) {
  const boost::json::value parsed = boost::json::parse(stored);  // kept: as_array() refers into it
  std::vector<std::string> events;
  for (const auto& name : parsed.as_array()) events.emplace_back(name.as_string());
  return events;
}

Webhook webhook_from_row(const keel::db::Row& row) {
  return Webhook{.id = row.get<std::string>("id"),
                 .url = row.get<std::string>("url"),
                 .events = events_from(row.get<std::string>("events")),
                 .created_at = row.get<std::string>("created_at")};
}

Delivery delivery_from_row(const keel::db::Row& row) {
  return Delivery{.id = row.get<std::string>("id"),
                  .event = row.get<std::string>("event"),
                  .status = row.get<std::string>("status"),
                  .attempts = row.get<std::int64_t>("attempts"),
                  .response_status = row.get<std::optional<std::int64_t>>("response_status"),
                  .error = row.get<std::optional<std::string>>("error"),
                  .created_at = row.get<std::string>("created_at"),
                  .updated_at = row.get<std::string>("updated_at")};
}

// WebhookRoutes holds what the handlers share; immutable once built.
class WebhookRoutes {
 public:
  WebhookRoutes(keel::db::Database& database, std::shared_ptr<const keel::security::DataCipher> cipher,
                TargetPolicy policy)
      : database_(database), cipher_(std::move(cipher)), policy_(policy) {}

  Response create(Request& request) const {
    const auto& caller = keel::app::principal(request);
    auto input = keel::app::parse_body<WebhookCreate>(request);
    if (const auto check = check_target(input.url, policy_); !check.target) {
      throw ApiError(ErrorCode::validation_error, "The webhook URL is not allowed.",
                     {{{std::string("body"), std::string("url")}, check.problem, "url_not_allowed"}});
    }
    CreatedWebhook created;
    created.id = keel::security::uuid_v7();
    created.url = std::move(input.url);
    if (input.events) {
      // In kItemEvents' order, each once.
      for (const auto event : kItemEvents) {
        for (const auto& wanted : *input.events) {
          if (wanted == event) {
            created.events.emplace_back(event);
            break;
          }
        }
      }
    } else {
      created.events.assign(kItemEvents.begin(), kItemEvents.end());
    }
    created.secret = "whsec_" + keel::security::random_token(32);
    created.created_at = keel::audit::now_timestamp();
    boost::json::array events;
    for (const auto& event : created.events) events.emplace_back(event);
    // The row id is the associated data: a sealed secret copied to another webhook does not open.
    const std::string sealed = cipher_->seal(created.secret, created.id);
    database_.in_transaction([&](keel::db::Connection& connection) {
      const auto count = connection.execute(sql::kCountWebhooksOfUser, {caller.subject})[0].get<std::int64_t>("n");
      if (count >= kMaxWebhooksPerUser) {
        throw ApiError(ErrorCode::conflict,
                       "This account already has " + std::to_string(kMaxWebhooksPerUser) + " webhooks.");
      }
      connection.execute(sql::kInsertWebhook, {created.id, caller.subject, created.url, sealed,
                                               boost::json::serialize(events), created.created_at});
    });
    return keel::app::json_response(201, created).with_header("Location", "/api/v1/webhooks/" + created.id);
  }

  Response list(Request& request) const {
    const auto& caller = keel::app::principal(request);
    auto connection = database_.acquire();
    WebhookList list;
    for (const auto& row : connection.execute(sql::kWebhooksOfUser, {caller.subject})) {
      list.items.push_back(webhook_from_row(row));
    }
    return keel::app::json_response(200, list);
  }

  Response remove(Request& request) const {
    const auto& caller = keel::app::principal(request);
    auto connection = database_.acquire();
    // Someone else's webhook is "not found": its existence is not revealed.
    if (connection.execute(sql::kDeleteWebhook, {request.path_param("id"), caller.subject}).affected_rows() == 0) {
      throw ApiError(ErrorCode::not_found, "No such webhook.");
    }
    return Response::no_content();
  }

  Response deliveries(Request& request) const {
    const auto& caller = keel::app::principal(request);
    const auto webhook_id = request.path_param("id");
    auto connection = database_.acquire();
    if (connection.execute(sql::kWebhookOfUser, {webhook_id, caller.subject}).empty()) {
      throw ApiError(ErrorCode::not_found, "No such webhook.");
    }
    DeliveryList list;
    for (const auto& row : connection.execute(sql::kDeliveriesOfWebhook, {webhook_id})) {
      list.items.push_back(delivery_from_row(row));
    }
    return keel::app::json_response(200, list);
  }

 private:
  keel::db::Database& database_;
  std::shared_ptr<const keel::security::DataCipher> cipher_;
  TargetPolicy policy_;
};

}  // namespace

ItemChanged register_webhooks(ServiceContext& context) {
  auto& database = context.database;
  database.register_statements(sql::kWebhookStatements);
  const auto& settings = context.app.settings();
  const TargetPolicy policy{.allow_http = settings.webhook_allow_http,
                            .allow_private = settings.webhook_allow_private_targets};
  auto cipher = std::make_shared<const keel::security::DataCipher>(data_cipher_from_settings(settings));
  context.jobs.register_handler(std::string(kWebhookJobKind), WebhookDelivery(database, cipher, policy));
  auto routes = std::make_shared<const WebhookRoutes>(database, cipher, policy);
  auto& router = context.app.router();
  const auto webhook_id = doc::path("id", "The webhook's id.");

  router.add(Method::post, "/api/v1/webhooks", [routes](Request& r) { return routes->create(r); })
      .named("create_webhook").tagged(kWebhooksTag).status(201).requires_scope("items:write")
      .summarized("Register an endpoint for item events (the signing secret is in this response only).")
      .described("The URL must be https:// (http:// only with WEBHOOK_ALLOW_HTTP) and its host must resolve to "
                 "public addresses only (loopback, private and link-local ones are refused unless "
                 "WEBHOOK_ALLOW_PRIVATE_TARGETS): 422 otherwise. At most 20 per account (409 `conflict`).")
      .body(doc::json(WebhookCreate{.url = "https://hooks.example.com/keel", .events = {{"item.created"}}}))
      .responds(doc::response(201, "The webhook, with its secret shown this once.", doc::json<CreatedWebhook>())
                    .with_header(doc::location()))
      .responds(doc::problem(409, "`conflict`: the account already has 20 webhooks."));

  router.add(Method::get, "/api/v1/webhooks", [routes](Request& r) { return routes->list(r); })
      .named("list_webhooks").tagged(kWebhooksTag).requires_scope("items:read")
      .summarized("List the caller's webhooks (never their secrets).")
      .responds(doc::response(200, "The caller's webhooks, oldest first.", doc::json<WebhookList>()));

  router.add(Method::delete_, "/api/v1/webhooks/{id}", [routes](Request& r) { return routes->remove(r); })
      .named("delete_webhook").tagged(kWebhooksTag).status(204).requires_scope("items:write")
      .summarized("Delete one of the caller's webhooks with its delivery log; pending deliveries stop.")
      .param(webhook_id)
      .responds(doc::response(204, "Deleted."))
      .responds(doc::problem(404, "No such webhook among the caller's."));

  router.add(Method::get, "/api/v1/webhooks/{id}/deliveries", [routes](Request& r) { return routes->deliveries(r); })
      .named("list_webhook_deliveries").tagged(kWebhooksTag).requires_scope("items:read")
      .summarized("The webhook's delivery log: the latest 100 deliveries, newest first.")
      .param(webhook_id)
      .responds(doc::response(200, "The deliveries.", doc::json<DeliveryList>()))
      .responds(doc::problem(404, "No such webhook among the caller's."));

  return [&database](std::string_view event, const std::string& owner_id, const std::string& item_json) {
    enqueue_item_event(database, event, owner_id, item_json);
  };
}

}  // namespace service::webhooks
