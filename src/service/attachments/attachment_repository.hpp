// service/attachments/attachment_repository.hpp — attachment rows: plain functions, no HTTP.
//
// Rows only: the bytes live in UPLOAD_DIR under the row's storage_name
// (keel::upload::Storage). Every statement is a named keel::db::Statement
// with bound parameters; the functions take a borrowed connection so the
// caller decides what shares a transaction:
//
//   database.register_statements(attachment_statements());
//   database.in_transaction([&](keel::db::Connection& c) { insert_attachment(c, attachment); });
//   auto found = find_attachment(connection, id, owner);   // std::nullopt: missing, or not theirs
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/db/connection.hpp"
#include "keel/db/statement.hpp"
#include "service/attachments/attachment.hpp"

namespace service::attachments {

// attachment_statements lists every statement this file runs.
std::span<const keel::db::Statement* const> attachment_statements();

// find_attachment returns attachment `id` when `owner` is std::nullopt (an admin) or owns it.
std::optional<Attachment> find_attachment(keel::db::Connection& connection, std::string_view id,
                                          const std::optional<std::string>& owner);

// list_attachments returns every attachment of item `item_id`, oldest first.
std::vector<Attachment> list_attachments(keel::db::Connection& connection, std::string_view item_id);

// insert_attachment stores a row for a file already committed under attachment.storage_name.
void insert_attachment(keel::db::Connection& connection, const Attachment& attachment);

// delete_attachment removes row `id` (the caller removes the file once this commits).
void delete_attachment(keel::db::Connection& connection, std::string_view id);

}  // namespace service::attachments
