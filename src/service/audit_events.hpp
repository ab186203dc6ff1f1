// service/audit_events.hpp — audit events that start from the HTTP request they are about.
//
// keel::audit knows nothing about HTTP; this fills in what every service
// event takes from its request: the actor (the authenticated caller, if
// any), the client address and the request id. The handler adds the target
// and details, then records the event in the same transaction as the change.
//
//   auto event = service::audit_event(request, "api_key.create");
//   event.target_type = "api_key";
//   event.target_id = key.id;
//   event.details = {{"name", key.name}};
//   keel::audit::record(connection, event);
#pragma once

#include <string>

#include "keel/audit/audit_log.hpp"
#include "keel/http/request.hpp"

namespace service {

// audit_event returns an event for `action` with actor_id, ip and request_id
// taken from `request` (actor_id stays empty when nobody is authenticated).
keel::audit::AuditEvent audit_event(const keel::http::Request& request, std::string action,
                                    keel::audit::Outcome outcome = keel::audit::Outcome::success);

}  // namespace service
