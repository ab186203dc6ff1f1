#include "service/webhooks/delivery.hpp"

#include <curl/curl.h>

#include <chrono>
#include <optional>
#include <stdexcept>

#include <boost/json.hpp>

#include "keel/audit/timestamp.hpp"
#include "keel/jobs/queue.hpp"
#include "keel/jobs/runner.hpp"
#include "keel/observability/logger.hpp"
#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"
#include "service/webhooks/webhooks_sql.hpp"

namespace service::webhooks {
namespace {

// DeliveryPayload is a job's payload: which delivery, to which webhook, of what.
struct DeliveryPayload {
  std::string delivery_id;
  std::string webhook_id;
  std::string event;
  boost::json::value data;
};

std::optional<DeliveryPayload> parse_payload(std::string_view json) {
  boost::system::error_code error;
  auto parsed = boost::json::parse(json, error);
  if (error || !parsed.is_object()) return std::nullopt;
  auto& object = parsed.as_object();
  const auto text = [&](std::string_view key) -> std::optional<std::string> {
    const auto* value = object.if_contains(key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string(value->as_string());
  };
  auto delivery_id = text("delivery_id");
  auto webhook_id = text("webhook_id");
  auto event = text("event");
  const auto* data = object.if_contains("data");
  if (!delivery_id || !webhook_id || !event || data == nullptr) return std::nullopt;
  return DeliveryPayload{std::move(*delivery_id), std::move(*webhook_id), std::move(*event), *data};
}

std::string to_hex(std::string_view bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0x0F];
  }
  return hex;
}

// PostResult is one HTTP attempt: the status when the endpoint answered, else why not.
struct PostResult {
  std::optional<long> status;
  std::string error;
};

std::size_t discard_body(char*, std::size_t size, std::size_t count, void*) { return size * count; }

// post sends `body` to `url`, connecting only to the address the guard checked.
PostResult post(const std::string& url, const Target& target, const std::vector<std::string>& headers,
                const std::string& body) {
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return {std::nullopt, "libcurl could not start"};
  curl_slist* header_list = nullptr;
  for (const auto& header : headers) header_list = curl_slist_append(header_list, header.c_str());
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(header_list, &curl_slist_free_all);
  // Pin host:port to the checked address: a second DNS answer (rebinding) cannot move the request.
  const bool literal = target.host == target.address;
  const std::string pin = target.host + ':' + std::to_string(target.port) + ':' +
                          (target.address.find(':') != std::string::npos ? '[' + target.address + ']'
                                                                         : target.address);
  curl_slist* resolve = literal ? nullptr : curl_slist_append(nullptr, pin.c_str());
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> resolve_guard(resolve, &curl_slist_free_all);

  CURL* handle = curl.get();
  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could lead past the guard
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);        // worker threads: no SIGALRM for timeouts
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(handle, CURLOPT_HTTPHEADER, header_list);
  if (resolve != nullptr) curl_easy_setopt(handle, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(handle, CURLOPT_POST, 1L);
  curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "Keel-Webhooks/1");
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, &discard_body);
  const CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) return {std::nullopt, curl_easy_strerror(code)};
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  return {status, {}};
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::int64_t timestamp, std::string_view body) {
  std::string signed_text = std::to_string(timestamp);
  signed_text += '.';
  signed_text += body;
  return "v1=" + to_hex(keel::security::hmac_sha256(secret, signed_text));
}

void enqueue_item_event(keel::db::Database& database, std::string_view event, const std::string& owner_id,
                        const std::string& item_json) {
  try {
    boost::json::value data = boost::json::parse(item_json);
    database.in_transaction([&](keel::db::Connection& connection) {
      const auto now = keel::audit::now_timestamp();
      for (const auto& row : connection.execute(sql::kWebhooksOfUser, {owner_id})) {
        const auto events = boost::json::parse(row.get<std::string>("events"));
        bool wanted = false;
        for (const auto& name : events.as_array()) wanted = wanted || name.as_string() == event;
        if (!wanted) continue;
        const std::string delivery_id = keel::security::uuid_v7();
        const auto webhook_id = row.get<std::string>("id");
        connection.execute(sql::kInsertDelivery, {delivery_id, webhook_id, std::string(event), now});
        const boost::json::object payload{
            {"delivery_id", delivery_id}, {"webhook_id", webhook_id}, {"event", event}, {"data", data}};
        keel::jobs::enqueue(connection, {.kind = std::string(kWebhookJobKind),
                                         .payload_json = boost::json::serialize(payload),
                                         .run_at = std::nullopt,
                                         .max_attempts = kDeliveryMaxAttempts,
                                         .idempotency_key = "webhook:" + delivery_id});
      }
    });
  } catch (const std::exception& error) {
    keel::observability::logger().error("webhook deliveries not queued",
                                        {{"event", event}, {"reason", error.what()}});
  }
}

WebhookDelivery::WebhookDelivery(keel::db::Database& database,
                                 std::shared_ptr<const keel::security::DataCipher> cipher, TargetPolicy policy)
    : database_(&database), cipher_(std::move(cipher)), policy_(policy) {}

void WebhookDelivery::operator()(const keel::jobs::Job& job) const {
  const auto payload = parse_payload(job.payload_json);
  if (!payload) throw keel::jobs::PermanentJobError("payload is not a webhook delivery payload");
  std::string url;
  std::string sealed;
  {
    auto connection = database_->acquire();
    const auto rows = connection.execute(sql::kWebhookForDelivery, {payload->webhook_id});
    if (rows.empty()) return;  // the webhook was deleted (its deliveries with it): nothing to deliver
    url = rows[0].get<std::string>("url");
    sealed = rows[0].get<std::string>("secret_sealed");
  }
  const bool last_attempt = job.attempt >= job.max_attempts;
  const auto record = [&](std::string_view status, std::optional<long> response_status,
                          const std::optional<std::string>& error) {
    auto connection = database_->acquire();
    connection.execute(sql::kRecordAttempt,
                       {payload->delivery_id, std::string(status), static_cast<std::int64_t>(job.attempt),
                        response_status ? std::optional<std::int64_t>(*response_status) : std::nullopt, error,
                        keel::audit::now_timestamp()});
  };
  const auto fail = [&](const std::string& reason, std::optional<long> response_status, bool permanent) {
    record(permanent || last_attempt ? "failed" : "pending", response_status, reason);
    if (permanent) throw keel::jobs::PermanentJobError(reason);
    throw std::runtime_error(reason);
  };

  const auto secret = cipher_->open(sealed, payload->webhook_id);
  if (!secret) fail("the signing secret cannot be decrypted: unknown key or tampered", std::nullopt, true);
  // Checked again now: the name may point elsewhere since registration, or the settings changed.
  const auto check = check_target(url, policy_);
  if (!check.target) fail("target refused: " + check.problem, std::nullopt, true);

  const std::string body = boost::json::serialize(boost::json::object{{"id", payload->delivery_id},
                                                                      {"event", payload->event},
                                                                      {"webhook_id", payload->webhook_id},
                                                                      {"data", payload->data}});
  const auto timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::vector<std::string> headers = {
      "Content-Type: application/json",
      "Keel-Webhook-Id: " + payload->delivery_id,
      "Keel-Webhook-Timestamp: " + std::to_string(timestamp),
      "Keel-Webhook-Signature: " + webhook_signature(*secret, timestamp, body),
      "Expect:",  // no 100-continue round trip
  };
  const auto result = post(url, *check.target, headers, body);
  if (!result.status) fail("no answer: " + result.error, std::nullopt, false);
  if (*result.status < 200 || *result.status > 299) {
    fail("the endpoint answered " + std::to_string(*result.status), result.status, false);
  }
  record("delivered", result.status, std::nullopt);
}

}  // namespace service::webhooks
