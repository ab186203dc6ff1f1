#include "service/email/email_payload.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

#include "keel/security/digest.hpp"
#include "keel/security/random.hpp"

namespace service {
namespace {

// associated_data lists what the ciphertext is bound to, as a JSON array so
// that no choice of values makes two different triples read alike.
std::string associated_data(std::string_view payload_id, std::string_view template_name,
                            std::string_view to) {
  return boost::json::serialize(boost::json::array{payload_id, template_name, to});
}

std::optional<std::string> string_field(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}

// variables_from reads a {"name": "value", …} object; nullopt when a value is not a string.
std::optional<EmailVariables> variables_from(const boost::json::value& value) {
  if (!value.is_object()) return std::nullopt;
  EmailVariables variables;
  for (const auto& [name, item] : value.get_object()) {
    if (!item.is_string()) return std::nullopt;
    variables.emplace(std::string(name), std::string(item.get_string()));
  }
  return variables;
}

}  // namespace

std::string seal_email_payload(const keel::security::DataCipher& cipher, const EmailPayload& payload,
                               std::string_view payload_id) {
  boost::json::object variables;
  for (const auto& [name, value] : payload.variables) variables[name] = value;
  const std::string sealed = cipher.seal(boost::json::serialize(variables),
                                         associated_data(payload_id, payload.template_name, payload.to));
  return boost::json::serialize(boost::json::object{{"template", payload.template_name},
                                                    {"to", payload.to},
                                                    {"payload_id", payload_id},
                                                    {"sealed_variables", sealed}});
}

std::optional<StoredEmailPayload> parse_email_payload(std::string_view payload_json) {
  boost::system::error_code error;
  const auto parsed = boost::json::parse(payload_json, error);
  if (error || !parsed.is_object()) return std::nullopt;
  const auto& object = parsed.get_object();
  auto template_name = string_field(object, "template");
  auto to = string_field(object, "to");
  if (!template_name || !to) return std::nullopt;
  StoredEmailPayload stored{std::move(*template_name), std::move(*to), {}, {}, std::nullopt};
  if (const auto* legacy = object.if_contains("variables")) {
    stored.plain_variables = variables_from(*legacy);
    if (!stored.plain_variables) return std::nullopt;
    return stored;
  }
  auto payload_id = string_field(object, "payload_id");
  auto sealed = string_field(object, "sealed_variables");
  if (!payload_id || !sealed) return std::nullopt;
  stored.payload_id = std::move(*payload_id);
  stored.sealed_variables = std::move(*sealed);
  return stored;
}

std::optional<EmailPayload> open_email_payload(const keel::security::DataCipher& cipher,
                                               const StoredEmailPayload& stored) {
  if (stored.plain_variables) return EmailPayload{stored.template_name, stored.to, *stored.plain_variables};
  const auto plaintext = cipher.open(stored.sealed_variables,
                                     associated_data(stored.payload_id, stored.template_name, stored.to));
  if (!plaintext) return std::nullopt;
  boost::system::error_code error;
  const auto parsed = boost::json::parse(*plaintext, error);
  if (error) return std::nullopt;
  auto variables = variables_from(parsed);
  if (!variables) return std::nullopt;
  return EmailPayload{stored.template_name, stored.to, std::move(*variables)};
}

keel::security::DataCipher data_cipher_from_settings(const keel::config::Settings& settings) {
  static_assert(keel::config::kEncryptionKeyBytes == keel::security::kDataKeyBytes);
  std::vector<keel::security::DataKey> keys;
  keys.reserve(settings.data_encryption_keys.size());
  for (const auto& key : settings.data_encryption_keys) keys.push_back({key.id, key.key});
  if (keys.empty()) {
    // Only a production-like profile leaves the list empty, and there `keel serve` refuses to start
    // (config::audit); commands that never seal (openapi, explain-queries) get a throwaway key.
    keel::security::DataKey throwaway{std::string(kUnsetKeyId), {}};
    std::string random;
    keel::security::base64url_decode(keel::security::random_token(throwaway.key.size()), random);
    std::copy(random.begin(), random.end(), throwaway.key.begin());
    keys.push_back(std::move(throwaway));
  }
  return keel::security::DataCipher(std::move(keys));
}

}  // namespace service
