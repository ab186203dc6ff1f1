// service/users/create_admin.hpp — `keel create-admin --email …`: make the first superuser.
//
// The password comes from stdin or KEEL_ADMIN_PASSWORD (main.cpp reads it;
// never argv, which other users can see in `ps`) and must pass the same
// policy as a sign-up. A new account is created active, verified and a
// superuser. When the email already has an account, it is promoted to
// superuser (and re-activated) and its password is left unchanged: the
// command never overwrites a credential someone may be using.
//
//   int code = service::users::create_admin(db, hasher, service::users::password_policy(settings),
//                                           email, password, std::cout, std::cerr);
//   // 0: created or promoted; 65 (EX_DATAERR): bad email or weak password;
//   // 69 (EX_UNAVAILABLE): the database failed.
#pragma once

#include <ostream>
#include <string_view>

#include "keel/db/database.hpp"
#include "keel/security/password_hasher.hpp"
#include "keel/security/password_policy.hpp"

namespace service::users {

// create_admin creates (or promotes) a superuser and reports on `out`/`err`;
// returns the process exit code. The password never appears in any output.
int create_admin(keel::db::Database& database, const keel::security::PasswordHasher& hasher,
                 const keel::security::PasswordPolicy& policy, std::string_view email,
                 std::string_view password, std::ostream& out, std::ostream& err);

}  // namespace service::users
