// keel/db/row.hpp — typed access to query results.
//
// A Result holds every row of one statement, read fully before the call
// returns (so no cursor outlives its connection). Row::get<T> converts a
// column to std::string, std::int64_t, int, double, bool or Blob; asking for
// std::optional<T> turns NULL into std::nullopt, while a plain T on NULL
// throws DatabaseError(other) naming the column.
//
//   Result r = conn.execute(kItemById, {id});
//   if (r.empty()) throw ApiError(ErrorCode::not_found, "Item not found.");
//   const Row& row = r[0];
//   std::string title = row.get<std::string>("title");
//   std::optional<std::string> description = row.get<std::optional<std::string>>("description");
//   std::int64_t size = row.get<std::int64_t>(2);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "keel/db/value.hpp"

namespace keel::db {

// Row is one result row; column names are shared by all rows of a Result.
class Row {
 public:
  Row(std::shared_ptr<const std::vector<std::string>> columns, std::vector<Value> cells)
      : columns_(std::move(columns)), cells_(std::move(cells)) {}

  // size returns the number of columns.
  std::size_t size() const { return cells_.size(); }
  // columns returns the column names, in SELECT order.
  std::span<const std::string> columns() const { return *columns_; }
  // value returns the raw cell; throws DatabaseError(other) when out of range.
  const Value& value(std::size_t index) const;
  // index_of returns the position of `column`; throws DatabaseError(other) when absent.
  std::size_t index_of(std::string_view column) const;
  // is_null is true when the cell is SQL NULL.
  bool is_null(std::size_t index) const;

  // get converts a cell; T is std::string, std::int64_t, int, double, bool,
  // Blob, or std::optional of one of them.
  template <class T>
  T get(std::size_t index) const {
    if constexpr (IsOptional<T>::value) {
      if (is_null(index)) return std::nullopt;
      return get<typename T::value_type>(index);
    } else if constexpr (std::is_same_v<T, std::string>) {
      return as_string(index);
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      return as_int64(index);
    } else if constexpr (std::is_same_v<T, int>) {
      return as_int(index);
    } else if constexpr (std::is_same_v<T, double>) {
      return as_double(index);
    } else if constexpr (std::is_same_v<T, bool>) {
      return as_bool(index);
    } else {
      static_assert(std::is_same_v<T, Blob>, "Row::get supports string, int64_t, int, double, bool, Blob");
      return as_blob(index);
    }
  }
  // get converts the cell of the column named `column`.
  template <class T>
  T get(std::string_view column) const {
    return get<T>(index_of(column));
  }

  // take is get() that moves a text cell out instead of copying it (the cell
  // is left empty), for building a value from each row once.
  template <class T>
  T take(std::string_view column) {
    const std::size_t index = index_of(column);
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::optional<std::string>>) {
      if (auto* text = std::get_if<std::string>(&cells_.at(index))) return std::move(*text);
    }
    return get<T>(index);
  }

 private:
  template <class T>
  struct IsOptional : std::false_type {};
  template <class T>
  struct IsOptional<std::optional<T>> : std::true_type {};

  std::string as_string(std::size_t index) const;
  std::int64_t as_int64(std::size_t index) const;
  int as_int(std::size_t index) const;
  double as_double(std::size_t index) const;
  bool as_bool(std::size_t index) const;
  Blob as_blob(std::size_t index) const;
  [[noreturn]] void type_error(std::size_t index, std::string_view wanted) const;

  std::shared_ptr<const std::vector<std::string>> columns_;
  std::vector<Value> cells_;
};

// Result is every row of one statement plus the number of rows it changed.
class Result {
 public:
  Result() = default;
  Result(std::vector<Row> rows, std::int64_t affected_rows)
      : rows_(std::move(rows)), affected_rows_(affected_rows) {}

  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const Row& operator[](std::size_t index) const { return rows_[index]; }
  std::vector<Row>::const_iterator begin() const { return rows_.begin(); }
  std::vector<Row>::const_iterator end() const { return rows_.end(); }
  // Mutable rows, for Row::take.
  std::vector<Row>::iterator begin() { return rows_.begin(); }
  std::vector<Row>::iterator end() { return rows_.end(); }
  // first returns the first row, or nullopt when there is none.
  std::optional<Row> first() const;
  // affected_rows is the number of rows an INSERT, UPDATE or DELETE changed (0 for SELECT).
  std::int64_t affected_rows() const { return affected_rows_; }

 private:
  std::vector<Row> rows_;
  std::int64_t affected_rows_ = 0;
};

}  // namespace keel::db
