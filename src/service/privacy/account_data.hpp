// service/privacy/account_data.hpp — everything held about one account: export it, or erase it.
//
// export_account gathers the caller's profile, items, attachment metadata,
// API key metadata, sessions and the audit events about them (as actor or
// target) into one JSON document. erase_account deletes the account in one
// transaction — foreign keys cascade to items, attachment rows, sessions,
// tokens and keys — replaces the person's id in the audit log by a random
// pseudonym ("deleted-user-<32 hex>", not derivable from the id), records
// the deletion under that pseudonym, and after the commit removes the
// attachment files and sends the account_deleted email.
//
//   boost::json::object data = service::privacy::export_account(connection, user);
//   service::privacy::erase_account(context, user, service::audit_event(request, "user.account_deleted"));
#pragma once

#include <boost/json.hpp>

#include "keel/audit/audit_log.hpp"
#include "keel/db/connection.hpp"
#include "service/context.hpp"
#include "service/users/user_repository.hpp"

namespace service::privacy {

// kExportAuditLimit bounds the audit events in one export (oldest first).
inline constexpr std::int64_t kExportAuditLimit = 10000;

// export_account returns {exported_at, profile, items, attachments, api_keys, sessions, audit_events}.
boost::json::object export_account(keel::db::Connection& connection, const users::User& user);

// erase_account deletes `user` and everything they own. `event` is recorded
// in the same transaction with target user = the pseudonym (and actor = the
// pseudonym when the user deleted themselves). Returns the pseudonym.
std::string erase_account(ServiceContext& context, const users::User& user, keel::audit::AuditEvent event);

}  // namespace service::privacy
