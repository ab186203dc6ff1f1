// service/webhooks/delivery.hpp — item events become signed POSTs, one job per (webhook, event).
//
// enqueue_item_event writes a `pending` delivery row and a `webhook.deliver`
// job for each of the owner's webhooks that wants the event, in one
// transaction. WebhookDelivery, the job's handler, re-checks the target (the
// SSRF guard, target_guard.hpp), POSTs the JSON body with libcurl to the
// address it checked and signs it:
//
//   Keel-Webhook-Id: <delivery id>            (the same on every retry: receivers deduplicate on it)
//   Keel-Webhook-Timestamp: <Unix seconds>    (receivers refuse old ones: replay protection)
//   Keel-Webhook-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A 2xx answer delivers; anything else throws so the queue retries with
// backoff; the last attempt marks the delivery failed. Every attempt updates
// the delivery row (docs/webhooks.md).
//
//   jobs.register_handler(std::string(kWebhookJobKind), WebhookDelivery(database, cipher, policy));
//   enqueue_item_event(database, "item.created", owner_id, item_json);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keel/db/database.hpp"
#include "keel/jobs/job.hpp"
#include "keel/security/data_cipher.hpp"
#include "service/webhooks/target_guard.hpp"

namespace service::webhooks {

// kWebhookJobKind is the job kind of one delivery.
inline constexpr std::string_view kWebhookJobKind = "webhook.deliver";

// kDeliveryMaxAttempts is how many times a delivery is tried (backoff 2, 4, 8 … s between them).
inline constexpr int kDeliveryMaxAttempts = 8;

// webhook_signature is the Keel-Webhook-Signature value: "v1=" + hex HMAC-SHA256(secret, "<timestamp>.<body>").
std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body);

// enqueue_item_event queues a delivery of `event` to each of `owner_id`'s
// webhooks that subscribed to it. Never throws: a failure is logged (the item
// change it announces already committed).
void enqueue_item_event(keel::db::Database& database, std::string_view event, const std::string& owner_id,
                        const std::string& item_json);

// WebhookDelivery is the `webhook.deliver` job handler. The database and the
// cipher must outlive it.
class WebhookDelivery {
 public:
  WebhookDelivery(keel::db::Database& database, std::shared_ptr<const keel::security::DataCipher> cipher,
                  TargetPolicy policy);
  void operator()(const keel::jobs::Job& job) const;

 private:
  keel::db::Database* database_;
  std::shared_ptr<const keel::security::DataCipher> cipher_;
  TargetPolicy policy_;
};

}  // namespace service::webhooks
