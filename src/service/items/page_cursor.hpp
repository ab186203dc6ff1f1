// service/items/page_cursor.hpp — opaque, tamper-evident pagination cursors.
//
// A cursor carries a keyset position to the client and back. It is the
// position plus an HMAC-SHA-256 over it and over the query it belongs to
// (the caller, the sort, the filters), keyed with a key derived from
// SECRET_KEY; so a cursor that was edited, made up, or issued for another
// user or another query does not open, and the handler answers 400
// `invalid_cursor` instead of running a query on forged input.
//
//   const PageCursors cursors(settings.secret_key, "items");
//   std::string next = cursors.seal(R"(["2026-11-27T10:00:00.000000Z","0192…"])", binding);
//   std::optional<std::string> position = cursors.open(request_cursor, binding);  // nullopt: refuse it
//
// Nothing in it is specific to items; a resource with keyset pagination can use it as is.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "keel/security/digest.hpp"

namespace service::items {

// PageCursors seals and opens the cursors of one resource. Thread-safe (immutable).
class PageCursors {
 public:
  // PageCursors derives its key from `secret_key` and `purpose` (the resource
  // name), so cursors of one resource never open in another.
  PageCursors(std::string_view secret_key, std::string_view purpose);

  // seal returns the cursor for `position` within the query described by `binding`.
  std::string seal(std::string_view position, std::string_view binding) const;
  // open returns the position of a cursor sealed with the same `binding`, or
  // std::nullopt for anything else (garbage, edited, or another query's cursor).
  std::optional<std::string> open(std::string_view cursor, std::string_view binding) const;

 private:
  std::string tag(std::string_view position, std::string_view binding) const;

  keel::security::HmacSha256 mac_;  // keyed once with the derived key
};

}  // namespace service::items
