#include "keel/model/json_schema.hpp"

namespace keel::model {

std::string SchemaRegistry::ref_path(std::string_view name) {
  return "#/components/schemas/" + std::string(name);
}

bool SchemaRegistry::reserve(std::string_view name, const void* tag) {
  const auto [it, inserted] = owners_.emplace(std::string(name), tag);
  if (inserted) {
    components_[name] = boost::json::object();  // placeholder keeps registration order
    return true;
  }
  if (it->second != tag) {
    throw std::logic_error("keel::model: two model types share the schema name '" + std::string(name) + "'");
  }
  return false;
}

}  // namespace keel::model
