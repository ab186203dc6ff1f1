// keel/model/serialize.hpp — model → JSON, a direct walk of the declaration.
//
//   boost::json::value v = keel::model::to_json(widget);
//   std::string body = keel::model::to_json_text(widget);   // compact
//
// Empty std::optional fields are written as null; Patch fields are written
// only when present (null or value); non-finite doubles become null, since
// JSON has no NaN or infinity. Prefer to_json_text for response bodies: it
// skips the tree, and Boost.JSON would print 1.5 as 1.5E0.
#pragma once

#include <cmath>
#include <cstdint>
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

// append_json_string appends `text` as a JSON string literal (serialize.cpp).
void append_json_string(std::string& out, std::string_view text);
// append_json_number appends a number; a non-finite double becomes null.
void append_json_number(std::string& out, std::int64_t n);
void append_json_number(std::string& out, double n);

template <class T>
void append_json(std::string& out, const T& in);

// TextWriter is the visitor that appends one model's members as JSON text.
template <class T>
class TextWriter {
 public:
  TextWriter(const T& in, std::string& out) : in_(in), out_(out) {}

  template <class C, class M, class... Rules>
  void field(std::string_view name, M C::*member, const Rules&...) {
    const M& value = in_.*member;
    if constexpr (IsPatch<M>::value) {
      if (value.is_absent()) return;
    }
    if (!first_) out_ += ',';
    first_ = false;
    append_json_string(out_, name);
    out_ += ':';
    append_json(out_, value);
  }

 private:
  const T& in_;
  std::string& out_;
  bool first_ = true;
};

template <class T>
void append_json(std::string& out, const T& in) {
  if constexpr (std::same_as<T, std::string>) {
    append_json_string(out, in);
  } else if constexpr (std::same_as<T, bool>) {
    out += in ? "true" : "false";
  } else if constexpr (std::same_as<T, double>) {
    append_json_number(out, in);
  } else if constexpr (Scalar<T>) {
    append_json_number(out, static_cast<std::int64_t>(in));
  } else if constexpr (IsOptional<T>::value) {
    if (in) {
      append_json(out, *in);
    } else {
      out += "null";
    }
  } else if constexpr (IsPatch<T>::value) {
    if (in.has_value()) {
      append_json(out, in.value());
    } else {
      out += "null";
    }
  } else if constexpr (IsVector<T>::value) {
    out += '[';
    bool first = true;
    for (const typename T::value_type& element : in) {
      if (!first) out += ',';
      first = false;
      append_json(out, element);
    }
    out += ']';
  } else if constexpr (Model<T>) {
    out += '{';
    TextWriter<T> writer(in, out);
    T::fields(writer);
    out += '}';
  } else {
    static_assert(kAlwaysFalse<T>, "keel::model: unsupported field type");
  }
}

}  // namespace detail

// to_json converts a model (or any supported field type) to a JSON value.
template <class T>
boost::json::value to_json(const T& in, boost::json::storage_ptr sp = {}) {
  return detail::write(in, sp);
}

// to_json_text serialises a model (or field type) as compact JSON text,
// straight from the declaration without building a tree. Doubles are written
// in their shortest form (1.5, 100, 1e+21), not Boost.JSON's 1.5E0.
template <class T>
std::string to_json_text(const T& in) {
  std::string out;
  out.reserve(256);
  detail::append_json(out, in);
  return out;
}

}  // namespace keel::model
