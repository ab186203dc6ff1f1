// keel/openapi/problems.hpp — the error side of the OpenAPI document.
//
// Renders the error table (keel/errors/error_code.hpp) as schemas, shared
// responses and Markdown, so clients see every stable `code`, its status and
// meaning in the document they generate code from.
//
//   ProblemComponents problems;
//   operation["responses"].as_object()["404"] = problems.response_ref(404);
//   problems.add_to(components);   // schemas + only the responses that were referenced
#pragma once

#include <map>
#include <string>

#include <boost/json.hpp>

namespace keel::openapi {

// ProblemComponents hands out references to per-status problem responses
// and writes the components that back them.
class ProblemComponents {
 public:
  // response_ref returns {"$ref": "#/components/responses/<Name>"} for a
  // status of the error table; throws std::logic_error for any other status.
  boost::json::object response_ref(int status);
  // default_ref is the `default` response: any other error, as problem+json.
  boost::json::object default_ref();

  // add_to writes the Problem schemas and every referenced response into `components`.
  void add_to(boost::json::object& components) const;

 private:
  std::map<int, std::string> used_;  // status → response component name
  bool default_used_ = false;
};

// error_table_markdown renders the error table as a Markdown table.
std::string error_table_markdown();

// response_name returns the component name of a status's problem response ("NotFound").
std::string response_name(int status);

}  // namespace keel::openapi
