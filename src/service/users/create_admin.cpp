#include "service/users/create_admin.hpp"

#include "keel/db/error.hpp"
#include "keel/errors/api_error.hpp"
#include "keel/model/email.hpp"
#include "service/users/identity_sql.hpp"
#include "service/users/user_repository.hpp"

namespace service::users {
namespace {

constexpr int kExitDataError = 65;    // EX_DATAERR
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE

}  // namespace

int create_admin(keel::db::Database& database, const keel::security::PasswordHasher& hasher,
                 const keel::security::PasswordPolicy& policy, std::string_view email_text,
                 std::string_view password, std::ostream& out, std::ostream& err) {
  const auto email = normalize_email(email_text);
  if (const auto why = keel::model::email_error(email); !why.empty()) {
    err << "create-admin: --email: " << why << "\n";
    return kExitDataError;
  }
  try {
    register_identity_statements(database);
    auto connection = database.acquire();
    if (const auto existing = find_user_by_email(connection, email)) {
      connection.execute(sql::kPromoteSuperuser, {existing->user.id, true, utc_now()});
      out << "create-admin: " << email << " already had an account (id " << existing->user.id
          << "); it is now an active superuser. Its password was not changed.\n";
      return 0;
    }
    const auto verdict = keel::security::check_password(password, {.email = email, .full_name = {}}, policy);
    if (!verdict.ok) {
      err << "create-admin: password refused (" << verdict.type << "): " << verdict.message << "\n";
      return kExitDataError;
    }
    const auto user = insert_user(connection, {.email = email,
                                               .full_name = std::nullopt,
                                               .password_hash = hasher.hash(password),
                                               .is_superuser = true,
                                               .email_verified = true});
    out << "create-admin: created superuser " << user.email << " (id " << user.id << ").\n";
    return 0;
  } catch (const keel::db::DatabaseError& e) {
    err << "create-admin: database error: " << e.what() << "\n";
    return kExitUnavailable;
  } catch (const keel::errors::ApiError& e) {
    err << "create-admin: " << e.detail() << "\n";  // email_taken: created concurrently
    return kExitDataError;
  }
}

}  // namespace service::users
