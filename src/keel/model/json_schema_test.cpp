#include "keel/model/json_schema.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "keel/model/model.hpp"

namespace keel::model {
namespace {

struct Address {
  std::string city;
  std::string zip;

  static constexpr std::string_view kModelName = "Address";
  static constexpr std::string_view kModelDescription = "A postal address.";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("city", &Address::city, m::length(1, 20));
    v.field("zip", &Address::zip, m::length(5, 5), m::pattern<"[0-9]+">());
  }
};

struct Widget {
  std::int64_t id = 0;
  std::string name;
  int quantity = 0;
  double weight = 0;
  std::optional<std::string> email;
  std::vector<std::string> tags;
  std::optional<std::string> color;
  double price = 0;
  bool active = true;
  std::optional<Address> address;
  std::vector<Address> warehouses;
  Patch<std::string> note;
  std::optional<std::string> nickname;

  static constexpr std::string_view kModelName = "Widget";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("id", &Widget::id, m::read_only(), m::describe("Server-assigned id"));
    v.field("name", &Widget::name, m::length(1, 50), m::describe("Display name"), m::example("Gizmo"));
    v.field("quantity", &Widget::quantity, m::range(0, 1000));
    v.field("weight", &Widget::weight, m::range(0.0, 1e3), m::default_value(0.0));
    v.field("email", &Widget::email, m::email());
    v.field("tags", &Widget::tags, m::items(0, 5), m::each(m::length(1, 10)),
            m::example(std::array{"a", "b"}));
    v.field("color", &Widget::color, m::one_of({"red", "green", "blue"}));
    v.field("price", &Widget::price, m::range(0.5, 99.5), m::default_value(1.5));
    v.field("active", &Widget::active, m::default_value(true));
    v.field("address", &Widget::address, m::describe("Where it ships from"));
    v.field("warehouses", &Widget::warehouses);
    v.field("note", &Widget::note, m::length(0, 100));
    v.field("nickname", &Widget::nickname, m::not_null());
  }
};

struct TreeNode {
  std::string label;
  std::vector<TreeNode> children;

  static constexpr std::string_view kModelName = "TreeNode";
  template <class V>
  static void fields(V& v) {
    v.field("label", &TreeNode::label);
    v.field("children", &TreeNode::children);
  }
};

namespace other {
struct Address {
  std::string line;
  static constexpr std::string_view kModelName = "Address";
  template <class V>
  static void fields(V& v) {
    v.field("line", &Address::line);
  }
};
}  // namespace other

TEST(JsonSchema, DescribesEveryFieldWithItsRules) {
  const boost::json::value expected = boost::json::parse(R"({
    "title": "Widget",
    "type": "object",
    "properties": {
      "id": {"type": "integer", "format": "int64", "readOnly": true, "description": "Server-assigned id"},
      "name": {"type": "string", "minLength": 1, "maxLength": 50, "description": "Display name",
               "examples": ["Gizmo"]},
      "quantity": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 1000},
      "weight": {"type": "number", "format": "double", "minimum": 0, "maximum": 1000, "default": 0.0},
      "email": {"type": ["string", "null"], "format": "email"},
      "tags": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 10},
               "maxItems": 5, "examples": [["a", "b"]]},
      "color": {"type": ["string", "null"], "enum": ["red", "green", "blue", null]},
      "price": {"type": "number", "format": "double", "minimum": 0.5, "maximum": 99.5, "default": 1.5},
      "active": {"type": "boolean", "default": true},
      "address": {"anyOf": [{"$ref": "#/components/schemas/Address"}, {"type": "null"}],
                  "description": "Where it ships from"},
      "warehouses": {"type": "array", "items": {"$ref": "#/components/schemas/Address"}},
      "note": {"type": ["string", "null"], "maxLength": 100},
      "nickname": {"type": "string"}
    },
    "required": ["id", "name", "quantity"],
    "additionalProperties": false
  })");
  EXPECT_EQ(boost::json::value(json_schema<Widget>()), expected)
      << boost::json::serialize(json_schema<Widget>());
}

TEST(JsonSchema, AnchorsPatternsAndAddsModelDescription) {
  const boost::json::value expected = boost::json::parse(R"({
    "title": "Address",
    "description": "A postal address.",
    "type": "object",
    "properties": {
      "city": {"type": "string", "minLength": 1, "maxLength": 20},
      "zip": {"type": "string", "minLength": 5, "maxLength": 5, "pattern": "^(?:[0-9]+)$"}
    },
    "required": ["city", "zip"],
    "additionalProperties": false
  })");
  EXPECT_EQ(boost::json::value(json_schema<Address>()), expected);
}

TEST(SchemaRegistry, CollectsNestedModelsOnce) {
  SchemaRegistry registry;
  registry.add<Widget>();
  registry.add<Address>();
  const auto& components = registry.components();
  ASSERT_EQ(components.size(), 2u);
  auto it = components.begin();
  EXPECT_EQ(it->key(), "Widget");
  EXPECT_EQ((++it)->key(), "Address");
  EXPECT_EQ(components.at("Address"), boost::json::value(json_schema<Address>()));
  EXPECT_EQ(components.at("Widget"), boost::json::value(json_schema<Widget>()));
}

TEST(SchemaRegistry, HandlesSelfReferencingModels) {
  SchemaRegistry registry;
  registry.add<TreeNode>();
  ASSERT_EQ(registry.components().size(), 1u);
  EXPECT_EQ(registry.components().at("TreeNode").at("properties").at("children").at("items").at("$ref"),
            "#/components/schemas/TreeNode");
}

TEST(SchemaRegistry, RefusesTwoTypesWithOneName) {
  SchemaRegistry registry;
  registry.add<Address>();
  EXPECT_THROW(registry.add<other::Address>(), std::logic_error);
}

}  // namespace
}  // namespace keel::model
