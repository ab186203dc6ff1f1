// service/webhooks/webhooks_sql.hpp — every statement on the webhooks and webhook_deliveries tables.
//
//   database.register_statements(sql::kWebhookStatements);
//   connection.execute(sql::kWebhooksOfUser, {user_id});
#pragma once

#include "keel/db/statement.hpp"

namespace service::webhooks::sql {

using keel::db::Statement;

inline constexpr Statement kInsertWebhook{
    "webhooks.insert",
    "INSERT INTO webhooks (id, user_id, url, secret_sealed, events, created_at) VALUES ($1, $2, $3, $4, $5, $6)"};
inline constexpr Statement kWebhooksOfUser{
    "webhooks.of_user",
    "SELECT id, url, events, created_at FROM webhooks WHERE user_id = $1 ORDER BY created_at, id"};
inline constexpr Statement kCountWebhooksOfUser{"webhooks.count_of_user",
                                                "SELECT COUNT(*) AS n FROM webhooks WHERE user_id = $1"};
inline constexpr Statement kWebhookOfUser{"webhooks.of_user_by_id",
                                          "SELECT id FROM webhooks WHERE id = $1 AND user_id = $2"};
inline constexpr Statement kDeleteWebhook{"webhooks.delete", "DELETE FROM webhooks WHERE id = $1 AND user_id = $2"};
// What a delivery attempt needs: where, and the sealed secret.
inline constexpr Statement kWebhookForDelivery{"webhooks.for_delivery",
                                               "SELECT url, secret_sealed FROM webhooks WHERE id = $1"};

// $1 id, $2 webhook id, $3 event, $4 now (created_at and updated_at).
inline constexpr Statement kInsertDelivery{
    "webhook_deliveries.insert",
    "INSERT INTO webhook_deliveries (id, webhook_id, event, status, attempts, response_status, error, "
    "created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, NULL, NULL, $4, $4)"};
// $1 id, $2 status, $3 attempts, $4 response status, $5 error, $6 now.
inline constexpr Statement kRecordAttempt{
    "webhook_deliveries.record_attempt",
    "UPDATE webhook_deliveries SET status = $2, attempts = $3, response_status = $4, error = $5, updated_at = $6 "
    "WHERE id = $1"};
inline constexpr Statement kDeliveriesOfWebhook{
    "webhook_deliveries.of_webhook",
    "SELECT id, event, status, attempts, response_status, error, created_at, updated_at FROM webhook_deliveries "
    "WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"};

// Key rotation (`keel rotate-keys`): walk every webhook by primary key, re-seal if unchanged since read.
inline constexpr Statement kWebhookSecretsPage{
    "webhooks.secrets_page", "SELECT id, secret_sealed FROM webhooks WHERE id > $1 ORDER BY id LIMIT $2"};
inline constexpr Statement kResealWebhookSecret{
    "webhooks.reseal_secret", "UPDATE webhooks SET secret_sealed = $1 WHERE id = $2 AND secret_sealed = $3"};

inline constexpr const Statement* kWebhookStatements[] = {
    &kInsertWebhook,  &kWebhooksOfUser,      &kCountWebhooksOfUser, &kWebhookOfUser,       &kDeleteWebhook,
    &kWebhookForDelivery, &kInsertDelivery, &kRecordAttempt,       &kDeliveriesOfWebhook,
    &kWebhookSecretsPage, &kResealWebhookSecret};

}  // namespace service::webhooks::sql
