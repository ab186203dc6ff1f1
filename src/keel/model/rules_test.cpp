#include "keel/model/rules.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "keel/model/model.hpp"
#include "keel/model/test_errors.hpp"

namespace keel::model {
namespace {

using test::error_lines;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// RuleProbe has one optional field per rule, so each body exercises one rule.
struct RuleProbe {
  std::optional<std::string> name;
  std::optional<std::int64_t> count;
  std::optional<double> ratio;
  std::optional<int> small;
  std::optional<std::string> email;
  std::optional<std::string> color;
  std::vector<std::string> tags;
  std::optional<std::string> slug;
  std::optional<std::string> initials;
  std::vector<std::int64_t> scores;

  static constexpr std::string_view kModelName = "RuleProbe";
  template <class V>
  static void fields(V& v) {
    namespace m = keel::model;
    v.field("name", &RuleProbe::name, m::length(2, 4));
    v.field("count", &RuleProbe::count, m::range(0, 1000));
    v.field("ratio", &RuleProbe::ratio, m::range(0.5, 2.5));
    v.field("small", &RuleProbe::small, m::range(-5, 5));
    v.field("email", &RuleProbe::email, m::email());
    v.field("color", &RuleProbe::color, m::one_of({"red", "green", "blue"}));
    v.field("tags", &RuleProbe::tags, m::items(1, 3), m::each(m::length(1, 3)));
    v.field("slug", &RuleProbe::slug, m::length(1, 8), m::pattern<"[a-z0-9-]+">());
    v.field("initials", &RuleProbe::initials, m::length(3, 3));
    v.field("scores", &RuleProbe::scores, m::each(m::range(1, 10)));
  }
};

std::vector<std::string> errors_for(std::string_view body) {
  return error_lines(parse_json<RuleProbe>(body));
}

std::string first_message(std::string_view body) {
  auto result = parse_json<RuleProbe>(body);
  return result.ok() || result.error().errors.empty() ? "" : result.error().errors.front().msg;
}

TEST(LengthRule, AcceptsExactlyMinAndMax) {
  EXPECT_THAT(errors_for(R"({"name": "ab"})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"name": "abcd"})"), IsEmpty());
}

TEST(LengthRule, RejectsOneBelowAndOneAbove) {
  EXPECT_THAT(errors_for(R"({"name": "a"})"), ElementsAre("body.name string_too_short"));
  EXPECT_THAT(errors_for(R"({"name": "abcde"})"), ElementsAre("body.name string_too_long"));
  EXPECT_EQ(first_message(R"({"name": "a"})"), "String should have at least 2 characters");
  EXPECT_EQ(first_message(R"({"name": "abcde"})"), "String should have at most 4 characters");
}

TEST(LengthRule, CountsCodePoints) {
  EXPECT_THAT(errors_for(R"({"initials": "ééé"})"), IsEmpty());  // 6 bytes, 3 characters
  EXPECT_THAT(errors_for(R"({"initials": "€😀a"})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"initials": "éééé"})"), ElementsAre("body.initials string_too_long"));
  EXPECT_THAT(errors_for(R"({"initials": "éé"})"), ElementsAre("body.initials string_too_short"));
}

TEST(LengthRule, SingularMessageForOne) {
  ErrorSink::Loc loc;
  ErrorSink sink(loc, 10);
  EXPECT_FALSE(length(1, 5).check("", sink));
  auto errors = std::move(sink).take();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].msg, "String should have at least 1 character");
}

TEST(LengthRule, RejectsInvalidUtf8) {
  ErrorSink::Loc loc;
  ErrorSink sink(loc, 10);
  EXPECT_FALSE(length(0, 5).check("\xC0\xAF", sink));
  auto errors = std::move(sink).take();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].type, "string_unicode");
}

TEST(RangeRule, IntegerBoundaries) {
  EXPECT_THAT(errors_for(R"({"count": 0})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"count": 1000})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"count": -1})"), ElementsAre("body.count greater_than_equal"));
  EXPECT_THAT(errors_for(R"({"count": 1001})"), ElementsAre("body.count less_than_equal"));
  EXPECT_EQ(first_message(R"({"count": -1})"), "Input should be greater than or equal to 0");
  EXPECT_EQ(first_message(R"({"count": 1001})"), "Input should be less than or equal to 1000");
}

TEST(RangeRule, IntFieldBoundaries) {
  EXPECT_THAT(errors_for(R"({"small": -5})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"small": 5})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"small": -6})"), ElementsAre("body.small greater_than_equal"));
  EXPECT_THAT(errors_for(R"({"small": 6})"), ElementsAre("body.small less_than_equal"));
}

TEST(RangeRule, DoubleBoundaries) {
  EXPECT_THAT(errors_for(R"({"ratio": 0.5})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"ratio": 2.5})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"ratio": 2})"), IsEmpty());  // integers are numbers
  EXPECT_THAT(errors_for(R"({"ratio": 0.49})"), ElementsAre("body.ratio greater_than_equal"));
  EXPECT_THAT(errors_for(R"({"ratio": 2.51})"), ElementsAre("body.ratio less_than_equal"));
  EXPECT_EQ(first_message(R"({"ratio": 2.51})"), "Input should be less than or equal to 2.5");
}

TEST(EmailRule, AcceptsValidAndExplainsInvalid) {
  EXPECT_THAT(errors_for(R"({"email": "Ann.Lee+x@Example.com"})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"email": "ann@localhost"})"), ElementsAre("body.email value_error"));
  EXPECT_EQ(first_message(R"({"email": "ann"})"),
            "value is not a valid email address: An email address must have exactly one @-sign.");
}

TEST(EmailRule, KeepsCase) {
  auto result = parse_json<RuleProbe>(R"({"email": "Ann@Example.COM"})");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().email, "Ann@Example.COM");
}

TEST(OneOfRule, AcceptsMembersOnly) {
  EXPECT_THAT(errors_for(R"({"color": "green"})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"color": "Green"})"), ElementsAre("body.color enum"));
  EXPECT_EQ(first_message(R"({"color": "pink"})"), "Input should be 'red', 'green' or 'blue'");
}

TEST(ItemsRule, ListLengthBoundaries) {
  EXPECT_THAT(errors_for(R"({"tags": ["a"]})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"tags": ["a", "b", "c"]})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"tags": []})"), ElementsAre("body.tags too_short"));
  EXPECT_THAT(errors_for(R"({"tags": ["a", "b", "c", "d"]})"), ElementsAre("body.tags too_long"));
  EXPECT_EQ(first_message(R"({"tags": ["a", "b", "c", "d"]})"), "List should have at most 3 items, not 4");
  EXPECT_EQ(first_message(R"({"tags": []})"), "List should have at least 1 item, not 0");
}

TEST(EachRule, ReportsEveryFailingElementWithItsIndex) {
  EXPECT_THAT(errors_for(R"({"tags": ["", "abc", "abcd"]})"),
              ElementsAre("body.tags.0 string_too_short", "body.tags.2 string_too_long"));
  EXPECT_THAT(errors_for(R"({"scores": [1, 10, 0, 11]})"),
              ElementsAre("body.scores.2 greater_than_equal", "body.scores.3 less_than_equal"));
}

TEST(EachRule, ListBoundsFailFirst) {
  // One error per value: a list that is too long is not also checked element by element.
  EXPECT_THAT(errors_for(R"({"tags": ["toolong", "b", "c", "d"]})"), ElementsAre("body.tags too_long"));
}

TEST(PatternRule, RequiresAFullMatch) {
  EXPECT_THAT(errors_for(R"({"slug": "my-item-2"})"), ElementsAre("body.slug string_too_long"));
  EXPECT_THAT(errors_for(R"({"slug": "item-2"})"), IsEmpty());
  EXPECT_THAT(errors_for(R"({"slug": "Item-2"})"), ElementsAre("body.slug string_pattern_mismatch"));
  EXPECT_THAT(errors_for(R"({"slug": "ab cd"})"), ElementsAre("body.slug string_pattern_mismatch"));
  EXPECT_EQ(first_message(R"({"slug": "A"})"), "String should match pattern '[a-z0-9-]+'");
}

TEST(Rules, StopAtTheFirstFailurePerValue) {
  // Empty fails length(1, 8) first; the pattern is never run.
  auto result = parse_json<RuleProbe>(R"({"slug": ""})");
  EXPECT_THAT(error_lines(result), ElementsAre("body.slug string_too_short"));
}

TEST(Rules, NullOptionalSkipsRules) {
  EXPECT_THAT(errors_for(R"({"name": null, "email": null, "color": null, "count": null})"), IsEmpty());
}

TEST(Rules, CustomRuleFollowsTheProtocol) {
  struct NoSpaces {
    bool check(const std::string& value, ErrorSink& sink) const {
      if (value.find(' ') == std::string::npos) return true;
      sink.add("value_error", "Value error, must not contain spaces");
      return false;
    }
    void schema(boost::json::object& s) const { s["pattern"] = "^[^ ]*$"; }
  };
  ErrorSink::Loc loc{std::string("body")};
  ErrorSink sink(loc, 10);
  EXPECT_TRUE(detail::check_value(std::string("ab"), sink, length(1, 5), NoSpaces{}));
  EXPECT_FALSE(detail::check_value(std::string("a b"), sink, length(1, 5), NoSpaces{}));
  auto errors = std::move(sink).take();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].msg, "Value error, must not contain spaces");
}

}  // namespace
}  // namespace keel::model
