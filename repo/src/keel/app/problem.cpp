#include "keel/app/problem.hpp"

#include <boost/json.hpp>

#include <variant>

namespace keel::app {
namespace {

boost::json::array render_field_errors(const std::vector<errors::FieldError>& field_errors) {
  boost::json::array rendered;
  rendered.reserve(field_errors.size());
  for (const auto& field_error : field_errors) {
    boost::json::array loc;
    for (const auto& part : field_error.loc) {
      std::visit([&loc](const auto& value) { loc.emplace_back(value); }, part);
    }
    rendered.push_back(boost::json::object{
        {"loc", std::move(loc)}, {"msg", field_error.msg}, {"type", field_error.type}});
  }
  return rendered;
}

}  // namespace

http::Response problem_response(const errors::ApiError& error, const http::Request& request) {
  const auto& row = errors::info(error.code());
  boost::json::object body{
      {"type", errors::problem_type(error.code())},
      {"title", row.title},
      {"status", row.status},
      {"detail", error.detail().empty() ? std::string(row.description) : error.detail()},
      {"instance", request.path.empty() ? std::string("/") : request.path},
      {"code", row.name},
      {"request_id", request.context.request_id},
  };
  if (!error.errors().empty() || error.code() == errors::ErrorCode::validation_error) {
    body["errors"] = render_field_errors(error.errors());
  }
  for (const auto& [name, json_text] : error.members()) {
    boost::system::error_code ec;
    auto value = boost::json::parse(json_text, ec);
    if (!ec) body[name] = std::move(value);
  }
  auto response = http::Response::json(row.status, boost::json::serialize(body));
  response.headers.set("Content-Type", "application/problem+json");
  for (const auto& [name, value] : error.headers()) response.headers.set(name, value);
  return response;
}

}  // namespace keel::app
