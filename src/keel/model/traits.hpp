// keel/model/traits.hpp — what a model and its field types are.
//
// A model is any type with a static `fields` visitor template and a
// `kModelName` (its schema/component name). Field types are std::string,
// bool, std::int64_t, int, double, nested models, std::vector<F>,
// std::optional<F> and Patch<F> of those. Anything else fails to compile
// with a static_assert naming the rule.
//
//   static_assert(keel::model::Model<WidgetCreate>);
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "keel/model/patch.hpp"

namespace keel::model {
namespace detail {

// FieldProbe is a visitor with the shape every visitor has; the Model concept
// only asks whether `fields` accepts it.
struct FieldProbe {
  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*member, const Rules&... rules);
};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsPatch : std::false_type {};
template <class T>
struct IsPatch<Patch<T>> : std::true_type {};

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};

// Unwrap is T without its std::optional / Patch layer.
template <class T>
struct Unwrap {
  using type = T;
};
template <class T>
struct Unwrap<std::optional<T>> {
  using type = T;
};
template <class T>
struct Unwrap<Patch<T>> {
  using type = T;
};

template <class>
inline constexpr bool kAlwaysFalse = false;

}  // namespace detail

// Model is a type declared with `fields` and `kModelName`.
template <class T>
concept Model = std::is_class_v<T> && requires(detail::FieldProbe& probe) {
  T::fields(probe);
  { T::kModelName } -> std::convertible_to<std::string_view>;
};

// Nullable is a field type that accepts JSON null and may be absent.
template <class T>
concept Nullable = detail::IsOptional<T>::value || detail::IsPatch<T>::value;

// Scalar is a JSON scalar field type.
template <class T>
concept Scalar = std::same_as<T, std::string> || std::same_as<T, bool> || std::same_as<T, std::int64_t> ||
    std::same_as<T, int> || std::same_as<T, double>;

}  // namespace keel::model
