// service/webhooks/webhook.hpp — the webhook models: registrations and their delivery log.
//
// A user registers an endpoint for item events; each event an endpoint wants
// becomes a delivery (a `webhook.deliver` job, delivery.hpp) whose attempts
// are logged in its row (docs/webhooks.md).
//
//   auto input = keel::app::parse_body<WebhookCreate>(request);
//   return keel::app::json_response(201, CreatedWebhook{...});
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/model/model.hpp"

namespace service::webhooks {

// kItemEvents are the events an endpoint may subscribe to (all of them by default).
inline constexpr std::array<std::string_view, 3> kItemEvents = {"item.created", "item.updated", "item.deleted"};

// kMaxWebhooksPerUser bounds how many endpoints one account may register (409 beyond).
inline constexpr std::int64_t kMaxWebhooksPerUser = 20;

// WebhookCreate is POST /webhooks' body.
struct WebhookCreate {
  std::string url;
  std::optional<std::vector<std::string>> events;

  static constexpr std::string_view kModelName = "WebhookCreate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("url", &WebhookCreate::url, m::length(8, 2000),
            m::describe("The endpoint: https:// (http:// only with WEBHOOK_ALLOW_HTTP), a public address"),
            m::example("https://hooks.example.com/keel"));
    v.field("events", &WebhookCreate::events, m::items(1, 3),
            m::each(m::one_of({"item.created", "item.updated", "item.deleted"})),
            m::describe("The events to deliver; absent or null: all three"));
  }
};

// Webhook is a registration as listed (never its secret).
struct Webhook {
  std::string id;
  std::string url;
  std::vector<std::string> events;
  std::string created_at;

  static constexpr std::string_view kModelName = "Webhook";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &Webhook::id, m::read_only(), m::describe("Opaque identifier (UUIDv7)"));
    v.field("url", &Webhook::url, m::describe("The endpoint deliveries are POSTed to"));
    v.field("events", &Webhook::events, m::describe("The events delivered"));
    v.field("created_at", &Webhook::created_at, m::describe("ISO 8601 UTC"));
  }
};

// CreatedWebhook is POST /webhooks' answer: the registration and, this once, its signing secret.
struct CreatedWebhook : Webhook {
  std::string secret;

  static constexpr std::string_view kModelName = "CreatedWebhook";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    Webhook::fields(v);
    v.field("secret", &CreatedWebhook::secret,
            m::describe("The HMAC-SHA256 signing secret. Shown only in this response: store it now"),
            m::example("whsec_q8cY3dJ0kR2vW6xZ1aB4nM7pL9sT5uE2hG8fD0jK3wQ"));
  }
};

// WebhookList is GET /webhooks' answer.
struct WebhookList {
  std::vector<Webhook> items;

  static constexpr std::string_view kModelName = "WebhookList";
  template <class V>
  static void fields(V& v) {
    v.field("items", &WebhookList::items, keel::model::describe("The caller's webhooks, oldest first"));
  }
};

// Delivery is one event's delivery to one endpoint, with its latest attempt.
struct Delivery {
  std::string id;
  std::string event;
  std::string status;
  std::int64_t attempts = 0;
  std::optional<std::int64_t> response_status;
  std::optional<std::string> error;
  std::string created_at;
  std::string updated_at;

  static constexpr std::string_view kModelName = "WebhookDelivery";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &Delivery::id, m::describe("The delivery's id, sent as Keel-Webhook-Id"));
    v.field("event", &Delivery::event, m::describe("item.created, item.updated or item.deleted"));
    v.field("status", &Delivery::status, m::describe("pending (queued or being retried), delivered or failed"));
    v.field("attempts", &Delivery::attempts, m::describe("Attempts made so far"));
    v.field("response_status", &Delivery::response_status,
            m::describe("The endpoint's HTTP status at the latest attempt; null: no answer"));
    v.field("error", &Delivery::error, m::describe("Why the latest attempt failed; null when it did not"));
    v.field("created_at", &Delivery::created_at, m::describe("ISO 8601 UTC"));
    v.field("updated_at", &Delivery::updated_at, m::describe("ISO 8601 UTC of the latest attempt"));
  }
};

// DeliveryList is GET /webhooks/{id}/deliveries' answer.
struct DeliveryList {
  std::vector<Delivery> items;

  static constexpr std::string_view kModelName = "WebhookDeliveryList";
  template <class V>
  static void fields(V& v) {
    v.field("items", &DeliveryList::items, keel::model::describe("The latest 100 deliveries, newest first"));
  }
};

}  // namespace service::webhooks
