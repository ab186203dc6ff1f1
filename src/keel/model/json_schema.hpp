// keel/model/json_schema.hpp — JSON Schema (draft 2020-12 / OpenAPI 3.1) of models.
//
// The schema is generated from the same `fields` declaration as parsing, and
// every rule writes the keywords of its own check, so the docs describe
// exactly what the parser enforces. Nested models are referenced as
// {"$ref": "#/components/schemas/<kModelName>"}; a SchemaRegistry collects
// them all for the OpenAPI document.
//
//   keel::model::SchemaRegistry registry;
//   registry.add<WidgetCreate>();          // and every model it nests
//   spec["components"].as_object()["schemas"] = registry.components();
//
// Mapping: string → "string", bool → "boolean", std::int64_t → "integer"
// (format int64), int → "integer" (int32), double → "number" (double),
// std::vector → "array" with "items"; std::optional / Patch add "null" to
// "type" (or anyOf [$ref, null] for models) unless not_null() is given.
// Required: the fields parsing requires (see model.hpp), read-only ones included.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "keel/model/rules.hpp"
#include "keel/model/traits.hpp"

namespace keel::model {

class SchemaRegistry;

template <Model T>
boost::json::object json_schema(SchemaRegistry* registry = nullptr);

// SchemaRegistry collects the schemas of models and of every model they nest.
class SchemaRegistry {
 public:
  // add registers T (if new) and, through its fields, every nested model.
  // Throws std::logic_error when another type already uses T's kModelName:
  // a programming error, caught when the OpenAPI document is built at start-up.
  template <Model T>
  void add() {
    if (reserve(T::kModelName, &kTypeTag<T>)) components_[T::kModelName] = json_schema<T>(this);
  }

  // components returns {"<name>": schema, ...} in registration order.
  const boost::json::object& components() const { return components_; }

  // ref_path returns "#/components/schemas/<name>".
  static std::string ref_path(std::string_view name);

 private:
  template <class T>
  static constexpr char kTypeTag = 0;

  // reserve claims `name` for the type `tag` before its schema is built, so
  // self-referencing models terminate; false when already registered.
  bool reserve(std::string_view name, const void* tag);

  boost::json::object components_;
  std::map<std::string, const void*, std::less<>> owners_;
};

namespace detail {

// kRequired says whether parsing demands the field.
template <class M, class... Rules>
inline constexpr bool kRequired = !Nullable<M> && !IsVector<M>::value && !kHasDefault<Rules...>;

template <class T>
boost::json::object type_schema(SchemaRegistry* registry) {
  if constexpr (std::same_as<T, std::string>) {
    return {{"type", "string"}};
  } else if constexpr (std::same_as<T, bool>) {
    return {{"type", "boolean"}};
  } else if constexpr (std::same_as<T, std::int64_t>) {
    return {{"type", "integer"}, {"format", "int64"}};
  } else if constexpr (std::same_as<T, int>) {
    return {{"type", "integer"}, {"format", "int32"}};
  } else if constexpr (std::same_as<T, double>) {
    return {{"type", "number"}, {"format", "double"}};
  } else if constexpr (Nullable<T>) {
    boost::json::object inner = type_schema<typename Unwrap<T>::type>(registry);
    if (inner.contains("$ref")) return {{"anyOf", boost::json::array{inner, {{"type", "null"}}}}};
    allow_null(inner);
    return inner;
  } else if constexpr (IsVector<T>::value) {
    return {{"type", "array"}, {"items", type_schema<typename T::value_type>(registry)}};
  } else if constexpr (Model<T>) {
    if (registry != nullptr) registry->add<T>();
    return {{"$ref", SchemaRegistry::ref_path(T::kModelName)}};
  } else {
    static_assert(kAlwaysFalse<T>, "keel::model: unsupported field type");
    return {};
  }
}

// SchemaWriter is the visitor that writes "properties" and "required".
class SchemaWriter {
 public:
  explicit SchemaWriter(SchemaRegistry* registry) : registry_(registry) {}

  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*, const Rules&... rules) {
    // Instantiating the check makes a rule on the wrong type fail to compile
    // even in a response-only model that is never parsed.
    [[maybe_unused]] constexpr auto kCheck = &check_value<M, Rules...>;
    using Inner = typename Unwrap<M>::type;
    boost::json::object schema = type_schema<Inner>(registry_);
    const bool nullable = Nullable<M> && !kHasRule<NotNull, Rules...>;
    const bool is_ref = schema.contains("$ref");
    if (nullable && is_ref) schema = {{"anyOf", boost::json::array{schema, {{"type", "null"}}}}};
    (rules.schema(schema), ...);
    if (nullable && !is_ref) allow_null(schema);
    properties_.emplace(name, std::move(schema));
    if constexpr (kRequired<M, Rules...>) required_.emplace_back(name);
  }

  boost::json::object& properties() { return properties_; }
  boost::json::array& required() { return required_; }

 private:
  SchemaRegistry* registry_;
  boost::json::object properties_;
  boost::json::array required_;
};

template <class T>
concept Described = requires {
  { T::kModelDescription } -> std::convertible_to<std::string_view>;
};

}  // namespace detail

// json_schema returns the schema of model T: {"title", "type": "object",
// "properties", "required", "additionalProperties": false} (+ "description"
// from an optional `static constexpr std::string_view kModelDescription`).
// Nested models are $refs, registered in `registry` when one is given.
template <Model T>
boost::json::object json_schema(SchemaRegistry* registry) {
  detail::SchemaWriter writer(registry);
  T::fields(writer);
  boost::json::object schema;
  schema["title"] = std::string_view(T::kModelName);
  if constexpr (detail::Described<T>) schema["description"] = std::string_view(T::kModelDescription);
  schema["type"] = "object";
  schema["properties"] = std::move(writer.properties());
  if (!writer.required().empty()) schema["required"] = std::move(writer.required());
  schema["additionalProperties"] = false;
  return schema;
}

}  // namespace keel::model
