#include "keel/db/statement.hpp"

namespace keel::db {

std::string_view to_string(Dialect dialect) { return dialect == Dialect::sqlite ? "sqlite" : "postgresql"; }

}  // namespace keel::db
