#include "keel/model/model.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keel/model/test_errors.hpp"

namespace keel::model {
namespace {

using test::error_lines;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Address {
  std::string city;
  std::string zip;

  static constexpr std::string_view kModelName = "Address";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("city", &Address::city, m::length(1, 20));
    v.field("zip", &Address::zip, m::length(5, 5), m::pattern<"[0-9]+">());
  }
  friend bool operator==(const Address&, const Address&) = default;
};

struct WidgetCreate {
  std::string name;
  std::int64_t quantity = 0;
  std::optional<std::string> email;
  std::vector<std::string> tags;
  std::optional<std::string> color;
  bool active = false;
  double price = 0;
  int priority = 0;
  std::optional<Address> address;
  std::vector<Address> warehouses;

  static constexpr std::string_view kModelName = "WidgetCreate";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("name", &WidgetCreate::name, m::length(1, 50), m::describe("Display name"));
    v.field("quantity", &WidgetCreate::quantity, m::range(0, 1000));
    v.field("email", &WidgetCreate::email, m::email());
    v.field("tags", &WidgetCreate::tags, m::items(0, 5), m::each(m::length(1, 10)));
    v.field("color", &WidgetCreate::color, m::one_of({"red", "green", "blue"}));
    v.field("active", &WidgetCreate::active, m::default_value(true));
    v.field("price", &WidgetCreate::price, m::range(0, 1e6), m::default_value(9.5));
    v.field("priority", &WidgetCreate::priority, m::default_value(3));
    v.field("address", &WidgetCreate::address);
    v.field("warehouses", &WidgetCreate::warehouses);
  }
  friend bool operator==(const WidgetCreate&, const WidgetCreate&) = default;
};

static_assert(Model<WidgetCreate>);
static_assert(Model<Address>);
static_assert(!Model<std::string>);

struct Scalars {
  std::string text;
  bool flag = false;
  std::int64_t big = 0;
  int small = 0;
  double real = 0;
  std::vector<std::string> words;
  Address place;

  static constexpr std::string_view kModelName = "Scalars";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("text", &Scalars::text, m::default_value(""));
    v.field("flag", &Scalars::flag, m::default_value(false));
    v.field("big", &Scalars::big, m::default_value(0));
    v.field("small", &Scalars::small, m::default_value(0));
    v.field("real", &Scalars::real, m::default_value(0.0));
    v.field("words", &Scalars::words);
    v.field("place", &Scalars::place, m::default_value(Address{"Paris", "75001"}));
  }
};

struct ItemPatch {
  Patch<std::string> title;
  Patch<std::string> description;
  Patch<std::int64_t> rank;
  std::optional<bool> archived;

  static constexpr std::string_view kModelName = "ItemPatch";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("title", &ItemPatch::title, m::not_null(), m::length(1, 200));
    v.field("description", &ItemPatch::description, m::length(0, 10));
    v.field("rank", &ItemPatch::rank, m::range(1, 5));
    v.field("archived", &ItemPatch::archived, m::not_null());
  }
};

struct ItemOut {
  std::int64_t id = 0;
  std::string title;

  static constexpr std::string_view kModelName = "ItemOut";
  template <class V>
  static void fields(V& v) {
    v.field("id", &ItemOut::id, keel::model::read_only());
    v.field("title", &ItemOut::title);
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

template <class T = WidgetCreate>
std::vector<std::string> errors_for(std::string_view body) {
  return error_lines(parse_json<T>(body));
}

// --- Happy path and defaults ---

TEST(ParseJson, ReadsEveryFieldType) {
  auto result = parse_json<WidgetCreate>(R"({
    "name": "Widget", "quantity": 7, "email": "a@b.io", "tags": ["x", "y"], "color": "red",
    "active": false, "price": 12.25, "priority": -2,
    "address": {"city": "Lyon", "zip": "69001"},
    "warehouses": [{"city": "Oslo", "zip": "01500"}]})");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
  const WidgetCreate& w = result.value();
  EXPECT_EQ(w.name, "Widget");
  EXPECT_EQ(w.quantity, 7);
  EXPECT_EQ(w.email, "a@b.io");
  EXPECT_THAT(w.tags, ElementsAre("x", "y"));
  EXPECT_EQ(w.color, "red");
  EXPECT_FALSE(w.active);
  EXPECT_DOUBLE_EQ(w.price, 12.25);
  EXPECT_EQ(w.priority, -2);
  EXPECT_EQ(w.address, (Address{"Lyon", "69001"}));
  EXPECT_THAT(w.warehouses, ElementsAre(Address{"Oslo", "01500"}));
}

TEST(ParseJson, AppliesDefaultsForAbsentFields) {
  auto result = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1})");
  ASSERT_TRUE(result.ok());
  const WidgetCreate& w = result.value();
  EXPECT_EQ(w.email, std::nullopt);
  EXPECT_THAT(w.tags, IsEmpty());
  EXPECT_EQ(w.color, std::nullopt);
  EXPECT_TRUE(w.active);
  EXPECT_DOUBLE_EQ(w.price, 9.5);
  EXPECT_EQ(w.priority, 3);
  EXPECT_EQ(w.address, std::nullopt);
}

TEST(ParseJson, DefaultValueCanBeAModel) {
  auto result = parse_json<Scalars>("{}");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().place, (Address{"Paris", "75001"}));
}

TEST(ParseJson, OptionalAcceptsNull) {
  auto result = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1, "email": null, "address": null})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().email, std::nullopt);
  EXPECT_EQ(result.value().address, std::nullopt);
}

TEST(ParseJson, NullIsNotAValueForRequiredOrListFields) {
  EXPECT_THAT(errors_for(R"({"name": null, "quantity": null, "tags": null, "active": null})"),
              ElementsAre("body.name string_type", "body.quantity int_type", "body.tags list_type",
                          "body.active bool_type"));
}

// --- Errors ---

TEST(ParseJson, ReportsMissingRequiredFields) {
  auto result = parse_json<WidgetCreate>("{}");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ParseErrorKind::validation);
  EXPECT_THAT(error_lines(result), ElementsAre("body.name missing", "body.quantity missing"));
  EXPECT_EQ(result.error().errors[0].msg, "Field required");
}

TEST(ParseJson, ReportsEveryErrorAtOnceInDeclarationOrderThenUnknownKeys) {
  auto result = parse_json<WidgetCreate>(R"({
    "zzz": 1, "name": "", "quantity": "5", "email": "nope", "tags": ["ok", "", 3],
    "color": "pink", "price": -1, "address": {"city": "Lyon"}, "is_admin": true})");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(error_lines(result),
              ElementsAre("body.name string_too_short", "body.quantity int_type", "body.email value_error",
                          "body.tags.1 string_too_short", "body.tags.2 string_type", "body.color enum",
                          "body.price greater_than_equal", "body.address.zip missing",
                          "body.zzz extra_forbidden", "body.is_admin extra_forbidden"));
  EXPECT_EQ(result.error().message, "The input failed validation (10 errors).");
}

TEST(ParseJson, RejectsUnknownFields) {
  auto result = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1, "role": "admin", "id": 4})");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(error_lines(result), ElementsAre("body.role extra_forbidden", "body.id extra_forbidden"));
  EXPECT_EQ(result.error().errors[0].msg, "Extra inputs are not permitted");
}

TEST(ParseJson, QuotesOnlyAnExcerptOfLongUnknownKeys) {
  const std::string key(500, 'k');
  auto result = parse_json<ItemOut>(R"({"title": "t", ")" + key + R"(": 1})");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().errors.size(), 1u);
  const auto& loc = result.error().errors[0].loc;
  ASSERT_EQ(loc.size(), 2u);
  EXPECT_EQ(std::get<std::string>(loc[1]), std::string(64, 'k') + "\u2026");
}

TEST(ParseJson, LocatesErrorsInNestedModelsAndLists) {
  EXPECT_THAT(errors_for(R"({"name": "W", "quantity": 1,
      "address": {"city": "", "zip": "1234x", "country": "FR"},
      "warehouses": [{"city": "A", "zip": "00001"}, {"city": "B", "zip": "abcde"}, "nope"]})"),
              ElementsAre("body.address.city string_too_short", "body.address.zip string_pattern_mismatch",
                          "body.address.country extra_forbidden",
                          "body.warehouses.1.zip string_pattern_mismatch", "body.warehouses.2 model_type"));
}

TEST(ParseJson, LocIndexesAreNumbers) {
  auto result = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1, "tags": ["a", 7]})");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.error().errors.size(), 1u);
  const auto& loc = result.error().errors[0].loc;
  ASSERT_EQ(loc.size(), 3u);
  EXPECT_EQ(std::get<std::string>(loc[0]), "body");
  EXPECT_EQ(std::get<std::string>(loc[1]), "tags");
  EXPECT_EQ(std::get<std::size_t>(loc[2]), 1u);
}

TEST(ParseJson, CapsTheNumberOfErrors) {
  std::string body = "{";
  for (int i = 0; i < 1000; ++i) body += "\"k" + std::to_string(i) + "\": 0,";
  body += "\"name\": \"W\", \"quantity\": 1}";
  auto result = parse_json<WidgetCreate>(body);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().errors.size(), 100u);
  ParseOptions options;
  options.max_errors = 3;
  auto capped = parse_json<WidgetCreate>(body, options);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().errors.size(), 3u);
}

TEST(ParseJson, DuplicateKeysKeepTheLast) {
  auto result = parse_json<ItemOut>(R"({"title": "first", "title": "last"})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().title, "last");
}

// --- Strict scalar types ---

TEST(StrictTypes, StringField) {
  EXPECT_THAT(errors_for<Scalars>(R"({"text": 5})"), ElementsAre("body.text string_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"text": ["a"]})"), ElementsAre("body.text string_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"text": ""})"), IsEmpty());
}

TEST(StrictTypes, BoolField) {
  EXPECT_THAT(errors_for<Scalars>(R"({"flag": 1})"), ElementsAre("body.flag bool_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"flag": "true"})"), ElementsAre("body.flag bool_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"flag": true})"), IsEmpty());
}

TEST(StrictTypes, Int64Field) {
  for (const char* bad : {R"("5")", "5.0", "1e3", "2.5", "true", "[]", "{}"}) {
    EXPECT_THAT(errors_for<Scalars>(std::string(R"({"big": )") + bad + "}"), ElementsAre("body.big int_type"))
        << bad;
  }
  auto max = parse_json<Scalars>(R"({"big": 9223372036854775807})");
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(max.value().big, std::numeric_limits<std::int64_t>::max());
  auto min = parse_json<Scalars>(R"({"big": -9223372036854775808})");
  ASSERT_TRUE(min.ok());
  EXPECT_EQ(min.value().big, std::numeric_limits<std::int64_t>::min());
  EXPECT_THAT(errors_for<Scalars>(R"({"big": 9223372036854775808})"),
              ElementsAre("body.big less_than_equal"));
  EXPECT_THAT(errors_for<Scalars>(R"({"big": 100000000000000000000000})"),
              ElementsAre("body.big less_than_equal"));
  EXPECT_THAT(errors_for<Scalars>(R"({"big": -9223372036854775809})"),
              ElementsAre("body.big greater_than_equal"));
  EXPECT_THAT(errors_for<Scalars>(R"({"big": 1e400})"), ElementsAre("body.big less_than_equal"));
}

TEST(StrictTypes, IntFieldHasInt32Range) {
  EXPECT_THAT(errors_for<Scalars>(R"({"small": 2147483647})"), IsEmpty());
  EXPECT_THAT(errors_for<Scalars>(R"({"small": -2147483648})"), IsEmpty());
  EXPECT_THAT(errors_for<Scalars>(R"({"small": 2147483648})"), ElementsAre("body.small less_than_equal"));
  EXPECT_THAT(errors_for<Scalars>(R"({"small": -2147483649})"), ElementsAre("body.small greater_than_equal"));
  EXPECT_THAT(errors_for<Scalars>(R"({"small": "1"})"), ElementsAre("body.small int_type"));
}

TEST(StrictTypes, DoubleField) {
  auto whole = parse_json<Scalars>(R"({"real": 2})");
  ASSERT_TRUE(whole.ok());
  EXPECT_DOUBLE_EQ(whole.value().real, 2.0);
  EXPECT_THAT(errors_for<Scalars>(R"({"real": "1.5"})"), ElementsAre("body.real float_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"real": false})"), ElementsAre("body.real float_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"real": 1e400})"), ElementsAre("body.real finite_number"));
}

TEST(StrictTypes, ListAndModelFields) {
  EXPECT_THAT(errors_for<Scalars>(R"({"words": "a"})"), ElementsAre("body.words list_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"words": {"0": "a"}})"), ElementsAre("body.words list_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"place": []})"), ElementsAre("body.place model_type"));
  EXPECT_THAT(errors_for<Scalars>(R"({"place": "Paris"})"), ElementsAre("body.place model_type"));
}

// --- Top level and invalid JSON ---

TEST(ParseJson, TopLevelNonObjectIsAValidationError) {
  for (const char* body : {"[]", "null", "\"x\"", "42"}) {
    auto result = parse_json<WidgetCreate>(body);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.error().kind, ParseErrorKind::validation) << body;
    EXPECT_THAT(error_lines(result), ElementsAre("body model_type")) << body;
  }
}

TEST(ParseJson, InvalidJsonIsItsOwnKind) {
  for (const char* body : {"", "garbage", "{\"name\": }", "{\"name\": \"W\"", "{} {}", "{}x",
                           "{\"name\": \"\xFF\"}", "{'name': 'W'}", "{\"a\": 1,}", "/* c */ {}"}) {
    auto result = parse_json<WidgetCreate>(body);
    ASSERT_FALSE(result.ok()) << body;
    EXPECT_EQ(result.error().kind, ParseErrorKind::invalid_json) << body;
    EXPECT_THAT(result.error().errors, IsEmpty()) << body;
  }
  auto trailing = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1} trailing)");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.error().message, "The body is not valid JSON: extra data at offset 29.");
}

TEST(ParseJson, RejectsNestingDeeperThanMaxDepth) {
  const std::string deep = R"({"tags": )" + std::string(40, '[') + std::string(40, ']') + "}";
  auto result = parse_json<WidgetCreate>(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind, ParseErrorKind::invalid_json);
  EXPECT_EQ(result.error().message, "The JSON nests deeper than 32 levels.");

  // At the limit, the body parses and fails validation instead.
  const std::string at_limit = R"({"tags": )" + std::string(31, '[') + std::string(31, ']') + "}";
  auto ok_depth = parse_json<WidgetCreate>(at_limit);
  ASSERT_FALSE(ok_depth.ok());
  EXPECT_EQ(ok_depth.error().kind, ParseErrorKind::validation);

  ParseOptions shallow;
  shallow.max_depth = 1;
  auto nested = parse_json<WidgetCreate>(R"({"name": "W", "quantity": 1, "address": {}})", shallow);
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.error().kind, ParseErrorKind::invalid_json);
}

TEST(ParseJson, RecursiveModels) {
  auto result = parse_json<TreeNode>(R"({"label": "root", "children": [{"label": "a"},
      {"label": "b", "children": [{"label": "b1", "children": [{"x": 1}]}]}]})");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(error_lines(result), ElementsAre("body.children.1.children.0.children.0.label missing",
                                               "body.children.1.children.0.children.0.x extra_forbidden"));
}

// --- Patch and read-only ---

TEST(PatchField, TellsAbsentNullAndValueApart) {
  auto result = parse_json<ItemPatch>(R"({"description": null, "rank": 2})");
  ASSERT_TRUE(result.ok()) << ::testing::PrintToString(error_lines(result));
  const ItemPatch& p = result.value();
  EXPECT_TRUE(p.title.is_absent());
  EXPECT_TRUE(p.description.is_null());
  EXPECT_FALSE(p.description.has_value());
  ASSERT_TRUE(p.rank.has_value());
  EXPECT_EQ(p.rank.value(), 2);
  EXPECT_FALSE(p.archived.has_value());
}

TEST(PatchField, ValidatesPresentValuesAndHonoursNotNull) {
  EXPECT_THAT(errors_for<ItemPatch>(R"({"title": null, "description": "01234567890", "rank": 0,
                                        "archived": null})"),
              ElementsAre("body.title string_type", "body.description string_too_long",
                          "body.rank greater_than_equal", "body.archived bool_type"));
  EXPECT_THAT(errors_for<ItemPatch>(R"({"title": ""})"), ElementsAre("body.title string_too_short"));
  EXPECT_THAT(errors_for<ItemPatch>("{}"), IsEmpty());
}

TEST(PatchField, AppliesToANullableTarget) {
  std::optional<std::string> column = "old";
  Patch<std::string> absent;
  absent.apply_to(column);
  EXPECT_EQ(column, "old");
  Patch<std::string> value;
  value.set("new");
  value.apply_to(column);
  EXPECT_EQ(column, "new");
  Patch<std::string> cleared;
  cleared.set_null();
  cleared.apply_to(column);
  EXPECT_EQ(column, std::nullopt);
}

TEST(ReadOnlyField, IsNeitherRequiredNorAcceptedInInput) {
  auto without = parse_json<ItemOut>(R"({"title": "t"})");
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without.value().id, 0);
  EXPECT_THAT(errors_for<ItemOut>(R"({"id": 5, "title": "t"})"), ElementsAre("body.id extra_forbidden"));
}

TEST(ReadOnlyField, IsReadWhenAllowed) {
  ParseOptions options;
  options.allow_read_only = true;
  auto result = parse_json<ItemOut>(R"({"id": 5, "title": "t"})", options);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().id, 5);
  EXPECT_THAT(error_lines(parse_json<ItemOut>(R"({"title": "t"})", options)), ElementsAre("body.id missing"));
}

// --- parse_value and errors ---

TEST(ParseValue, UsesTheGivenLocationAndChecksUtf8) {
  boost::json::object query;
  query["title"] = std::string_view("bad \xC3\x28");
  auto result = parse_value<ItemOut>(query, {"query"});
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(error_lines(result), ElementsAre("query.title string_unicode"));
}

TEST(ParseValue, ReadsPlainFieldTypes) {
  const ErrorSink::Loc prefix{std::string("query"), std::string("ids")};
  auto ids = parse_value<std::vector<std::int64_t>>(boost::json::array{1, 2, 3}, prefix);
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(ids.value(), ElementsAre(1, 2, 3));
  auto bad = parse_value<std::vector<std::int64_t>>(boost::json::array{1, "2"}, prefix);
  EXPECT_THAT(error_lines(bad), ElementsAre("query.ids.1 int_type"));
}

TEST(ParseError, MapsToApiErrors) {
  auto invalid = parse_json<ItemOut>("nope").error().to_api_error();
  EXPECT_EQ(invalid.code(), errors::ErrorCode::invalid_json);
  EXPECT_THAT(invalid.errors(), IsEmpty());
  auto unprocessable = parse_json<ItemOut>("{}").error().to_api_error();
  EXPECT_EQ(unprocessable.code(), errors::ErrorCode::validation_error);
  ASSERT_EQ(unprocessable.errors().size(), 1u);
  EXPECT_EQ(unprocessable.errors()[0].type, "missing");
  try {
    (void)parse_json<ItemOut>("{}").value_or_throw();
    FAIL() << "value_or_throw did not throw";
  } catch (const errors::ApiError& e) {
    EXPECT_EQ(e.code(), errors::ErrorCode::validation_error);
  }
  EXPECT_EQ(parse_json<ItemOut>(R"({"title": "t"})").value_or_throw().title, "t");
}

// --- Serialisation ---

TEST(ToJson, WritesFieldsInDeclarationOrder) {
  WidgetCreate w;
  w.name = "W \"1\"";
  w.quantity = 3;
  w.tags = {"a"};
  w.active = true;
  w.price = 1.5;
  w.address = Address{"Lyon", "69001"};
  EXPECT_EQ(to_json_text(w),
            R"({"name":"W \"1\"","quantity":3,"email":null,"tags":["a"],"color":null,"active":true,)"
            R"("price":1.5,"priority":0,"address":{"city":"Lyon","zip":"69001"},"warehouses":[]})");
}

TEST(ToJson, EscapesStringsAndWritesShortNumbers) {
  Scalars s;
  s.text = "q\"b\\n\n\t\x01é";
  s.real = 100;
  s.words = {"0.1"};
  EXPECT_EQ(to_json_text(s),
            R"({"text":"q\"b\\n\n\t\u0001é","flag":false,"big":0,"small":0,"real":100,"words":["0.1"],)"
            R"("place":{"city":"","zip":""}})");
  s.real = 0.1;
  EXPECT_EQ(to_json(s).at("real").as_double(), 0.1);
  EXPECT_NE(to_json_text(s).find(R"("real":0.1,)"), std::string::npos);
  // The text and the tree agree.
  EXPECT_EQ(boost::json::parse(to_json_text(s)), to_json(s));
}

TEST(ToJson, SkipsAbsentPatchFieldsAndNonFiniteNumbers) {
  ItemPatch p;
  p.description.set_null();
  p.rank.set(4);
  EXPECT_EQ(to_json_text(p), R"({"description":null,"rank":4,"archived":null})");
  Scalars s;
  s.real = std::numeric_limits<double>::quiet_NaN();
  const boost::json::value v = to_json(s);
  EXPECT_TRUE(v.at("real").is_null());
}

TEST(ToJson, RoundTripsThroughParse) {
  auto first = parse_json<WidgetCreate>(R"({"name": "Wé", "quantity": 1000, "email": "x@y.io",
      "tags": ["a", "b"], "color": "blue", "active": false, "price": 0.1, "priority": 7,
      "address": {"city": "Lyon", "zip": "69001"}, "warehouses": [{"city": "Oslo", "zip": "01500"}]})");
  ASSERT_TRUE(first.ok());
  const std::string text = to_json_text(first.value());
  auto second = parse_json<WidgetCreate>(text);
  ASSERT_TRUE(second.ok()) << text;
  EXPECT_EQ(second.value(), first.value());
  EXPECT_EQ(to_json_text(second.value()), text);
}

}  // namespace
}  // namespace keel::model
