#include "service/audit_events.hpp"

#include <utility>

namespace service {

keel::audit::AuditEvent audit_event(const keel::http::Request& request, std::string action,
                                    keel::audit::Outcome outcome) {
  keel::audit::AuditEvent event;
  event.action = std::move(action);
  event.outcome = outcome;
  if (request.context.principal) {
    event.actor_id = request.context.principal->subject;
  }
  if (!request.context.client_ip.empty()) event.ip = request.context.client_ip;
  if (!request.context.request_id.empty()) event.request_id = request.context.request_id;
  return event;
}

}  // namespace service
