// keel/model/model.hpp — typed request/response models: declare once, get
// parsing, validation, serialisation and JSON Schema.
//
//   struct WidgetCreate {
//     std::string name;
//     std::int64_t quantity = 0;
//     std::optional<std::string> email;
//     std::vector<std::string> tags;
//
//     static constexpr std::string_view kModelName = "WidgetCreate";  // schema component name
//     template <class V> static void fields(V& v) {
//       namespace m = keel::model;
//       v.field("name", &WidgetCreate::name, m::length(1, 50), m::describe("Display name"));
//       v.field("quantity", &WidgetCreate::quantity, m::range(0, 1000), m::default_value(1));
//       v.field("email", &WidgetCreate::email, m::email());
//       v.field("tags", &WidgetCreate::tags, m::items(0, 5), m::each(m::length(1, 10)));
//     }
//   };
//
//   auto parsed = keel::model::parse_json<WidgetCreate>(body);       // parse.hpp
//   std::string out = keel::model::to_json_text(parsed.value());     // serialize.hpp
//   boost::json::object schema = keel::model::json_schema<WidgetCreate>();  // json_schema.hpp
//
// The rules of a declaration:
// - Qualify rules (m::email(), not `using namespace`): inside `fields`, a
//   member named like a rule (email, items, length) hides it.
// - Required fields: a field must be present in input unless it is a
//   std::optional or Patch (absent → empty / absent), a std::vector (absent →
//   empty list) or declares default_value(x) (absent → x). In-class member
//   initialisers are NOT defaults for parsing: use default_value.
// - Null: only std::optional and Patch fields accept JSON null (unless they
//   declare not_null()); an empty std::optional is written as null.
// - Patch<T> tells absent (leave alone) from null (clear) in PATCH bodies.
// - Strict types, as Pydantic's strict mode: "5" is not an integer, nor are
//   5.0, 1e3 or true; integers outside the field type's range (int64, or
//   int32 for `int`) fail with less_than_equal / greater_than_equal; doubles
//   accept integers but not infinity (Boost.JSON reads 1e400 as infinity).
// - Unknown members are each reported as "extra_forbidden" (no mass
//   assignment); read_only() fields count as unknown in input. With duplicate
//   keys, the last one wins (Boost.JSON's behaviour, as in Python).
// - Every failing field is reported at once (up to ParseOptions::max_errors),
//   with at most one error per value: a value's rules stop at the first
//   failure, and a wrong type skips its rules; list elements and nested
//   model fields are values of their own, each reported.
// - Error locations follow FastAPI: ["body", "tags", 3] — field names, list
//   indexes as numbers; only unknown keys quote client input, cut to 64 bytes.
#pragma once

#include "keel/model/error_sink.hpp"  // IWYU pragma: export
#include "keel/model/parse.hpp"       // IWYU pragma: export
#include "keel/model/patch.hpp"       // IWYU pragma: export
#include "keel/model/rules.hpp"       // IWYU pragma: export
#include "keel/model/serialize.hpp"   // IWYU pragma: export
#include "keel/model/traits.hpp"      // IWYU pragma: export
