// keel/model/serialize.hpp — model → JSON, a direct walk of the declaration.
//
//   boost::json::value v = keel::model::to_json(widget);
//   std::string body = keel::model::to_json_text(widget);   // compact
//
// Empty std::optional fields are written as null; Patch fields are written
// only when present (null or value); non-finite doubles become null, since
// JSON has no NaN or infinity.
#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "keel/model/traits.hpp"

namespace keel::model {
namespace detail {

template <class T>
boost::json::value write(const T& in, const boost::json::storage_ptr& sp);

// FieldCounter counts a model's fields, to size its JSON object once.
struct FieldCounter {
  std::size_t count = 0;
  template <class C, class M, class... Rules>
  void field(std::string_view, M C::*, const Rules&...) {
    ++count;
  }
};

template <class T>
std::size_t field_count() {
  static const std::size_t count = [] {
    FieldCounter counter;
    T::fields(counter);
    return counter.count;
  }();
  return count;
}

// ObjectWriter is the visitor that writes one model's members in declaration order.
template <class T>
class ObjectWriter {
 public:
  ObjectWriter(const T& in, boost::json::object& out) : in_(in), out_(out) {}

  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*member, const Rules&...) {
    const M& value = in_.*member;
    if constexpr (IsPatch<M>::value) {
      if (value.is_absent()) return;
    }
    out_.emplace(name, write(value, out_.storage()));
  }

 private:
  const T& in_;
  boost::json::object& out_;
};

template <class T>
boost::json::value write(const T& in, const boost::json::storage_ptr& sp) {
  if constexpr (std::same_as<T, std::string>) {
    return boost::json::value(std::string_view(in), sp);
  } else if constexpr (std::same_as<T, double>) {
    if (!std::isfinite(in)) return boost::json::value(nullptr, sp);
    return boost::json::value(in, sp);
  } else if constexpr (Scalar<T>) {
    return boost::json::value(in, sp);
  } else if constexpr (IsOptional<T>::value) {
    return in ? write(*in, sp) : boost::json::value(nullptr, sp);
  } else if constexpr (IsPatch<T>::value) {
    return in.has_value() ? write(in.value(), sp) : boost::json::value(nullptr, sp);
  } else if constexpr (IsVector<T>::value) {
    boost::json::array list(sp);
    list.reserve(in.size());
    for (const typename T::value_type& element : in) list.push_back(write(element, sp));
    return list;
  } else if constexpr (Model<T>) {
    boost::json::object object(sp);
    object.reserve(field_count<T>());
    ObjectWriter<T> writer(in, object);
    T::fields(writer);
    return object;
  } else {
    static_assert(kAlwaysFalse<T>, "keel::model: unsupported field type");
    return {};
  }
}

}  // namespace detail

// to_json converts a model (or any supported field type) to a JSON value.
template <class T>
boost::json::value to_json(const T& in, boost::json::storage_ptr sp = {}) {
  return detail::write(in, sp);
}

// to_json_text serialises a model (or field type) as compact JSON text.
template <class T>
std::string to_json_text(const T& in) {
  // The tree is only a stepping stone to the text: build it in a stack buffer.
  alignas(std::max_align_t) unsigned char buffer[4096];
  boost::json::monotonic_resource resource(buffer, sizeof(buffer));
  return boost::json::serialize(detail::write(in, boost::json::storage_ptr(&resource)));
}

}  // namespace keel::model
