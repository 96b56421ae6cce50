// The call service and its call actors: every call of an offer (CGI, MCP
// tools/call, batch) is one short-lived call actor that owns the call's
// workflow and nothing else:
//   offer lookup (expired? the mode asked?) → for a priced offer, the x402
//   payment (the challenge when none is sent, a signature made for a
//   loopback caller's X-402-Key, a hold at the payment registry) → the task
//   (at the task registry, with the caller's read token and, for a free CGI
//   call, its stdout stream) → the verdict for the call's mode → settlement
//   (charged only when the handler answered well, not the owner's own call,
//   not from the cache) → one call_result.
// The service spawns one per call (detached when a spooled body must be
// hashed first) and delegates the request to it; the actor ends with its
// answer. No state survives a call: what must (the payment, the task) is
// the payment's and the task's actors', written before they answer.
//
// Interface: call_service_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <string>

#include "actors/call_rules.hpp"
#include "messages/interfaces.hpp"

namespace hearth::actors {

inline const caf::atom_value call_service_key = caf::atom("calls");

struct call_settings {
  payment_terms terms;
  std::string owner;       // EIP-55: the node's owner calls any offer without being charged
  std::string output_dir;  // where spilled task outputs are (storage::task_output_file)
};

call_service_type spawn_call_service(caf::actor_system& sys, call_settings settings);

}  // namespace hearth::actors
