#include "keel/db/error.hpp"

namespace keel::db {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::constraint_unique: return "constraint_unique";
    case ErrorKind::constraint_foreign_key: return "constraint_foreign_key";
    case ErrorKind::constraint_other: return "constraint_other";
    case ErrorKind::other: return "other";
  }
  return "other";
}

}  // namespace keel::db
