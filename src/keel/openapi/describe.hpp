// keel/openapi/describe.hpp — typed helpers that document a route from model declarations.
//
// A route's documentation is plain data on http::Route (BodyDoc, ParamDoc,
// ResponseDoc); these helpers fill it from the same model declarations that
// parse and validate, so the OpenAPI document cannot drift from the code.
//
//   namespace doc = keel::openapi;
//   router.add(Method::post, "/api/v1/items", create_item)
//       .named("create_item").tagged(kItemsTag).status(201).summarized("Create an item.")
//       .body(doc::json(ItemCreate{.title = "Buy milk"}))          // schema + a typed example
//       .params(doc::query<ItemQuery>())                           // one parameter per model field
//       .param(doc::query_integer("limit", kLimit, "Page size."))  // kLimit: {min, max, fallback}
//       .responds(doc::response(201, "The new item.", doc::json<Item>()).with_header(doc::location()));
//
// Schemas carry every constraint the model's rules enforce (see
// keel/model/json_schema.hpp); examples built from model values are
// serialised exactly as responses are.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>

#include "keel/http/route.hpp"
#include "keel/model/json_schema.hpp"
#include "keel/model/serialize.hpp"

namespace keel::openapi {

namespace detail {

// model_body documents model T under `media_type`: a $ref plus every component it needs.
template <model::Model T>
http::BodyDoc model_body(std::string media_type) {
  model::SchemaRegistry registry;
  registry.add<T>();
  http::BodyDoc doc;
  doc.media_type = std::move(media_type);
  doc.schema =
      boost::json::serialize(boost::json::object{{"$ref", model::SchemaRegistry::ref_path(T::kModelName)}});
  doc.components = boost::json::serialize(registry.components());
  return doc;
}

// params_from_schema turns an object schema's properties into parameters.
std::vector<http::ParamDoc> params_from_schema(const boost::json::object& schema, http::ParamDoc::In in);

}  // namespace detail

// json documents a JSON body of model T.
template <model::Model T>
http::BodyDoc json() {
  return detail::model_body<T>("application/json");
}

// json documents a JSON body of model T with `example` (serialised as responses are).
template <model::Model T>
http::BodyDoc json(const T& example) {
  auto doc = json<T>();
  doc.example = model::to_json_text(example);
  return doc;
}

// json_schema_body documents a JSON body that a handler builds without a model
// (e.g. /readiness's map of checks), from its JSON Schema text.
http::BodyDoc json_schema_body(std::string schema_json);

// form documents an application/x-www-form-urlencoded body whose fields are model T's
// (the OAuth2 token endpoint).
template <model::Model T>
http::BodyDoc form() {
  return detail::model_body<T>("application/x-www-form-urlencoded");
}

// multipart_file documents a multipart/form-data upload with one required
// file part `field` whose content type must be one of `allowed_types`.
http::BodyDoc multipart_file(std::string field, std::string description,
                             const std::vector<std::string>& allowed_types);

// text documents a non-JSON body (e.g. Prometheus text) as a string.
http::BodyDoc text(std::string media_type, std::string description);

// query documents one query parameter per field of model T (schema, required, description).
template <model::Model T>
std::vector<http::ParamDoc> query() {
  return detail::params_from_schema(model::json_schema<T>(), http::ParamDoc::In::query);
}

// IntegerBounds is any {min, max, fallback} triple, such as keel::app::IntParam,
// so a handler's bounds and its docs are one constant.
template <class B>
concept IntegerBounds = requires(const B& b) {
  { b.min } -> std::convertible_to<std::int64_t>;
  { b.max } -> std::convertible_to<std::int64_t>;
  { b.fallback } -> std::convertible_to<std::int64_t>;
};

// query_integer documents an optional integer query parameter within [min, max]
// whose absence means `fallback`.
http::ParamDoc query_integer(std::string name, std::int64_t min, std::int64_t max, std::int64_t fallback,
                             std::string description);

// query_integer documents an optional integer query parameter from its bounds constant.
template <IntegerBounds B>
http::ParamDoc query_integer(std::string name, const B& bounds, std::string description) {
  return query_integer(std::move(name), static_cast<std::int64_t>(bounds.min),
                       static_cast<std::int64_t>(bounds.max), static_cast<std::int64_t>(bounds.fallback),
                       std::move(description));
}

// query_string documents an optional string query parameter of min..max characters.
http::ParamDoc query_string(std::string name, std::size_t min_length, std::size_t max_length,
                            std::string description);

// query_enum documents an optional query parameter taking one of `values`
// (the first is the default when absent).
http::ParamDoc query_enum(std::string name, const std::vector<std::string>& values, std::string description);

// path documents a path parameter of the route template (description, and a
// stricter schema than the template's type when `schema_json` is given).
http::ParamDoc path(std::string name, std::string description, std::string schema_json = {});

// header documents a request header parameter (If-Match, Idempotency-Key, ...).
http::ParamDoc header(std::string name, std::string description, bool required = false);

// response_header documents a response header.
http::ParamDoc response_header(std::string name, std::string description);

// location documents the Location header of a 201.
http::ParamDoc location();

// etag documents the ETag header of a cacheable or versioned representation.
http::ParamDoc etag();

// response documents a status with an optional body.
http::ResponseDoc response(int status, std::string description, std::optional<http::BodyDoc> body = {});

// problem documents a route-specific error status (409 email_taken, 412, ...):
// the shared problem+json response of that status, with this description.
http::ResponseDoc problem(int status, std::string description);

}  // namespace keel::openapi
