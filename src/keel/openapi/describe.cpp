#include "keel/openapi/describe.hpp"

#include <stdexcept>

namespace keel::openapi {
namespace {

namespace json = boost::json;

http::ParamDoc make_param(http::ParamDoc::In in, std::string name, std::string description, bool required,
                          const json::object& schema) {
  http::ParamDoc doc;
  doc.in = in;
  doc.name = std::move(name);
  doc.description = std::move(description);
  doc.required = required;
  doc.schema = json::serialize(schema);
  return doc;
}

}  // namespace

namespace detail {

std::vector<http::ParamDoc> params_from_schema(const json::object& schema, http::ParamDoc::In in) {
  std::vector<http::ParamDoc> params;
  const auto* required = schema.if_contains("required");
  const auto is_required = [&](std::string_view name) {
    if (required == nullptr) return false;
    for (const auto& entry : required->as_array()) {
      if (entry.as_string() == name) return true;
    }
    return false;
  };
  for (const auto& [name, property] : schema.at("properties").as_object()) {
    json::object field = property.as_object();
    // A parameter is a scalar or a list of scalars: models do not fit in a query string.
    if (field.contains("$ref") || field.contains("anyOf")) {
      throw std::logic_error("keel::openapi: parameter '" + std::string(name) + "' cannot be a model");
    }
    std::string description;
    if (auto* text = field.if_contains("description")) {
      description = std::string(text->as_string());
      field.erase("description");
    }
    params.push_back(make_param(in, std::string(name), std::move(description), is_required(name), field));
  }
  return params;
}

}  // namespace detail

http::BodyDoc multipart_file(std::string field, std::string description,
                             const std::vector<std::string>& allowed_types) {
  std::string types;
  for (const auto& type : allowed_types) types += (types.empty() ? "" : ", ") + type;
  json::object file{{"type", "string"},
                    {"contentMediaType", "application/octet-stream"},
                    {"description", std::move(description)}};
  json::object schema{{"type", "object"},
                      {"properties", json::object{{field, std::move(file)}}},
                      {"required", json::array{json::string(field)}}};
  http::BodyDoc doc;
  doc.media_type = "multipart/form-data";
  doc.schema = json::serialize(schema);
  if (!types.empty()) doc.encoding = json::serialize(json::object{{field, {{"contentType", types}}}});
  return doc;
}

http::BodyDoc json_schema_body(std::string schema_json) {
  http::BodyDoc doc;
  doc.schema = std::move(schema_json);
  return doc;
}

http::BodyDoc text(std::string media_type, std::string description) {
  http::BodyDoc doc;
  doc.media_type = std::move(media_type);
  doc.schema = json::serialize(json::object{{"type", "string"}, {"description", std::move(description)}});
  return doc;
}

http::ParamDoc query_integer(std::string name, std::int64_t min, std::int64_t max, std::int64_t fallback,
                             std::string description) {
  const json::object schema{
      {"type", "integer"}, {"format", "int64"}, {"minimum", min}, {"maximum", max}, {"default", fallback}};
  return make_param(http::ParamDoc::In::query, std::move(name), std::move(description), false, schema);
}

http::ParamDoc query_string(std::string name, std::size_t min_length, std::size_t max_length,
                            std::string description) {
  const json::object schema{{"type", "string"}, {"minLength", min_length}, {"maxLength", max_length}};
  return make_param(http::ParamDoc::In::query, std::move(name), std::move(description), false, schema);
}

http::ParamDoc query_enum(std::string name, const std::vector<std::string>& values, std::string description) {
  if (values.empty()) throw std::logic_error("keel::openapi: query_enum '" + name + "' has no values");
  json::array list;
  for (const auto& value : values) list.emplace_back(value);
  json::object schema{{"type", "string"}, {"default", list.front()}};
  schema["enum"] = std::move(list);
  return make_param(http::ParamDoc::In::query, std::move(name), std::move(description), false, schema);
}

http::ParamDoc path(std::string name, std::string description, std::string schema_json) {
  http::ParamDoc doc;
  doc.in = http::ParamDoc::In::path;
  doc.name = std::move(name);
  doc.description = std::move(description);
  doc.required = true;
  // Empty schema: the generator keeps the one the template's type implies.
  doc.schema = std::move(schema_json);
  return doc;
}

http::ParamDoc header(std::string name, std::string description, bool required) {
  return make_param(http::ParamDoc::In::header, std::move(name), std::move(description), required,
                    json::object{{"type", "string"}});
}

http::ParamDoc response_header(std::string name, std::string description) {
  return make_param(http::ParamDoc::In::header, std::move(name), std::move(description), false,
                    json::object{{"type", "string"}});
}

http::ParamDoc location() { return response_header("Location", "Path of the created resource."); }

http::ParamDoc etag() {
  return response_header("ETag", "Version of the representation; send it back in If-None-Match or If-Match.");
}

http::ResponseDoc response(int status, std::string description, std::optional<http::BodyDoc> body) {
  http::ResponseDoc doc;
  doc.status = status;
  doc.description = std::move(description);
  if (body) doc.content.push_back(std::move(*body));
  return doc;
}

http::ResponseDoc problem(int status, std::string description) {
  if (status < 400) throw std::logic_error("keel::openapi: problem() needs an error status");
  return response(status, std::move(description));
}

}  // namespace keel::openapi
