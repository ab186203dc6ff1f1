#include "keel/edge/stages.hpp"

namespace keel::edge {

bool is_auth_path(std::string_view path) {
  return path.starts_with("/api/v1/auth/") || path.starts_with("/api/v1/login/");
}

}  // namespace keel::edge
