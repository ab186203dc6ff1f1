#include "keel/openapi/problems.hpp"

#include <stdexcept>
#include <vector>

#include "keel/errors/error_code.hpp"
#include "keel/model/json_schema.hpp"

namespace keel::openapi {
namespace {

namespace json = boost::json;
using errors::ErrorInfo;

constexpr std::string_view kProblemMediaType = "application/problem+json";
constexpr std::string_view kRequestIdPattern = "^[A-Za-z0-9._-]{1,64}$";
constexpr std::string_view kDefaultName = "Problem";

// object_member returns parent[key] as an object, creating it when absent.
json::object& object_member(json::object& parent, std::string_view key) {
  auto& member = parent[key];
  if (!member.is_object()) member.emplace_object();
  return member.as_object();
}

std::string schema_ref(std::string_view name) { return model::SchemaRegistry::ref_path(name); }

std::vector<const ErrorInfo*> errors_with_status(int status) {
  std::vector<const ErrorInfo*> rows;
  for (const auto& row : errors::all_errors()) {
    if (row.status == status) rows.push_back(&row);
  }
  return rows;
}

json::object header(std::string_view description, json::object schema, bool required = false) {
  json::object h{{"description", description}, {"schema", std::move(schema)}};
  if (required) h["required"] = true;
  return h;
}

json::object request_id_header() {
  return header(
      "The request's id (the client's sane X-Request-ID, else generated); quote it in support requests.",
      {{"type", "string"}, {"pattern", kRequestIdPattern}}, true);
}

// headers_for lists the headers a problem of `status` carries.
json::object headers_for(int status) {
  json::object headers{{"X-Request-ID", request_id_header()}};
  if (status == 401) {
    headers["WWW-Authenticate"] =
        header("The RFC 6750 challenge: `Bearer`, with error=\"invalid_token\" when a token was sent.",
               {{"type", "string"}});
  }
  if (status == 403) {
    headers["WWW-Authenticate"] = header(
        "For insufficient_scope: `Bearer error=\"insufficient_scope\", scope=\"…\"` naming the scopes "
        "needed.",
        {{"type", "string"}});
  }
  if (status == 415) {
    headers["Accept-Post"] = header("The media types the operation accepts.", {{"type", "string"}});
  }
  if (status == 429 || status == 503) {
    headers["Retry-After"] =
        header("Seconds to wait before retrying.", {{"type", "integer"}, {"minimum", 0}});
  }
  if (status == 429) {
    headers["RateLimit"] = header("IETF RateLimit header: the remaining budget.", {{"type", "string"}});
    headers["RateLimit-Policy"] =
        header("IETF RateLimit-Policy header: the budget and its window.", {{"type", "string"}});
  }
  return headers;
}

json::object example_problem(const ErrorInfo& row) {
  json::object problem{{"type", errors::problem_type(row.code)},
                       {"title", row.title},
                       {"status", row.status},
                       {"detail", row.description},
                       {"instance", "/api/v1/…"},
                       {"code", row.name},
                       {"request_id", "01970f4c8d3a7b2e9c5d1a0b3e4f5a6b"}};
  if (row.code == errors::ErrorCode::validation_error) {
    problem["errors"] = json::array{
        json::object{{"loc", json::array{"body", "name"}}, {"msg", "Field required"}, {"type", "missing"}}};
  }
  return problem;
}

json::object problem_schema() {
  json::array oauth_errors;
  for (const auto& row : errors::all_errors()) {
    if (row.description.starts_with("OAuth2:")) oauth_errors.emplace_back(row.name);
  }
  json::object properties{
      {"type",
       {{"type", "string"},
        {"format", "uri"},
        {"description", "urn:keel:problem:<code>."},
        {"examples", json::array{"urn:keel:problem:not_found"}}}},
      {"title",
       {{"type", "string"}, {"description", "Short summary of the code; the same for every occurrence."}}},
      {"status",
       {{"type", "integer"}, {"minimum", 400}, {"maximum", 599}, {"description", "The HTTP status."}}},
      {"detail", {{"type", "string"}, {"description", "What went wrong with this request; safe to show."}}},
      {"instance", {{"type", "string"}, {"description", "The request's path."}}},
      {"code", {{"$ref", schema_ref("ErrorCode")}}},
      {"request_id",
       {{"type", "string"},
        {"pattern", kRequestIdPattern},
        {"description", "Equals the X-Request-ID header."}}},
      {"errors",
       {{"type", "array"},
        {"items", {{"$ref", schema_ref("FieldError")}}},
        {"description", "422 validation_error only: every failing field."}}},
      {"error",
       {{"type", "string"},
        {"enum", std::move(oauth_errors)},
        {"description", "Token endpoint only: the RFC 6749 §5.2 error code."}}},
      {"error_description", {{"type", "string"}, {"description", "Token endpoint only: RFC 6749 §5.2."}}},
  };
  return {{"title", "Problem"},
          {"description", "RFC 9457 problem details: the body of every error response."},
          {"type", "object"},
          {"properties", std::move(properties)},
          {"required", json::array{"type", "title", "status", "detail", "instance", "code", "request_id"}}};
}

json::object field_error_schema() {
  return {{"title", "FieldError"},
          {"description", "One failing field of a 422, in FastAPI/Pydantic's shape."},
          {"type", "object"},
          {"properties",
           {{"loc",
             {{"type", "array"},
              {"minItems", 1},
              {"items", {{"type", json::array{"string", "integer"}}}},
              {"description", "Where: [\"body\", \"tags\", 3], [\"query\", \"limit\"], [\"path\", \"n\"]."},
              {"examples", json::array{json::array{"body", "tags", 3}}}}},
            {"msg", {{"type", "string"}, {"description", "Human-readable message."}}},
            {"type",
             {{"type", "string"},
              {"description", "Machine-readable kind (missing, string_too_long, extra_forbidden, …)."}}}}},
          {"required", json::array{"loc", "msg", "type"}}};
}

json::object validation_problem_schema() {
  return {{"title", "ValidationProblem"},
          {"description", "A 422 problem: `errors` lists every failing field at once."},
          {"allOf",
           json::array{json::object{{"$ref", schema_ref("Problem")}},
                       json::object{{"type", "object"},
                                    {"required", json::array{"errors"}},
                                    {"properties", {{"errors", {{"type", "array"}, {"minItems", 1}}}}}}}}};
}

json::object error_code_schema() {
  json::array names;
  json::array rows;
  for (const auto& row : errors::all_errors()) {
    names.emplace_back(row.name);
    rows.emplace_back(json::object{{"code", row.name},
                                   {"status", row.status},
                                   {"title", row.title},
                                   {"type", errors::problem_type(row.code)},
                                   {"description", row.description}});
  }
  return {{"title", "ErrorCode"},
          {"description",
           "The stable error code of a problem: program against it, not against title or detail. "
           "x-keel-errors lists each code's status, title and meaning."},
          {"type", "string"},
          {"enum", std::move(names)},
          {"x-keel-errors", std::move(rows)}};
}

// problem_response builds the shared response of `status`: its codes, schema and examples.
json::object problem_response(int status) {
  const auto rows = errors_with_status(status);
  std::string description;
  json::array codes;
  json::object examples;
  for (const auto* row : rows) {
    description += std::string(description.empty() ? "" : "; ") + std::string(row->title) + " (`" +
                   std::string(row->name) + "`)";
    codes.emplace_back(row->name);
    examples[row->name] = json::object{{"summary", row->title}, {"value", example_problem(*row)}};
  }
  const bool validation = status == 422;
  json::object narrowed{
      {"type", "object"},
      {"properties", {{"status", {{"const", status}}}, {"code", {{"enum", std::move(codes)}}}}}};
  json::object schema{
      {"allOf", json::array{json::object{{"$ref", schema_ref(validation ? "ValidationProblem" : "Problem")}},
                            std::move(narrowed)}}};
  return {
      {"description", description},
      {"headers", headers_for(status)},
      {"content", {{kProblemMediaType, {{"schema", std::move(schema)}, {"examples", std::move(examples)}}}}}};
}

json::object default_response() {
  return {{"description",
           "Any other error (405 with Allow, 408, 414, 431, 400 untrusted_host, …), as problem+json."},
          {"headers", headers_for(0)},
          {"content", {{kProblemMediaType, {{"schema", {{"$ref", schema_ref("Problem")}}}}}}}};
}

}  // namespace

std::string response_name(int status) {
  switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 408: return "RequestTimeout";
    case 409: return "Conflict";
    case 412: return "PreconditionFailed";
    case 413: return "ContentTooLarge";
    case 414: return "UriTooLong";
    case 415: return "UnsupportedMediaType";
    case 422: return "ValidationFailed";
    case 429: return "TooManyRequests";
    case 431: return "RequestHeaderFieldsTooLarge";
    case 500: return "InternalServerError";
    case 503: return "ServiceUnavailable";
    default: return "Status" + std::to_string(status);
  }
}

json::object ProblemComponents::response_ref(int status) {
  if (errors_with_status(status).empty()) {
    throw std::logic_error("keel::openapi: no error code has status " + std::to_string(status));
  }
  auto name = response_name(status);
  used_[status] = name;
  return {{"$ref", "#/components/responses/" + name}};
}

json::object ProblemComponents::default_ref() {
  default_used_ = true;
  return {{"$ref", "#/components/responses/" + std::string(kDefaultName)}};
}

void ProblemComponents::add_to(json::object& components) const {
  auto& schemas = object_member(components, "schemas");
  const auto add_schema = [&](std::string_view name, json::object schema) {
    if (schemas.contains(name)) {
      throw std::logic_error("keel::openapi: a model uses the reserved schema name '" + std::string(name) +
                             "'");
    }
    schemas[name] = std::move(schema);
  };
  add_schema("Problem", problem_schema());
  add_schema("FieldError", field_error_schema());  // Problem's `errors` items
  add_schema("ErrorCode", error_code_schema());
  if (used_.contains(422)) add_schema("ValidationProblem", validation_problem_schema());
  auto& responses = object_member(components, "responses");
  for (const auto& [status, name] : used_) responses[name] = problem_response(status);
  if (default_used_) responses[kDefaultName] = default_response();
}

std::string error_table_markdown() {
  std::string out = "| code | status | title | when |\n|---|---|---|---|\n";
  for (const auto& row : errors::all_errors()) {
    out += "| `" + std::string(row.name) + "` | " + std::to_string(row.status) + " | " +
           std::string(row.title) + " | " + std::string(row.description) + " |\n";
  }
  return out;
}

}  // namespace keel::openapi
