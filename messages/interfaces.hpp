// The actors' contracts as CAF typed_actor interfaces: what each one
// answers, checked by the compiler on both sides (an actor that does not
// handle its interface, or a caller sending what it does not take, does not
// build). Each actor's header says what it owns; its interface is here.
// Errors travel as caf::error of a module in messages/errors.hpp.
#pragma once

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "messages/atoms.hpp"
#include "messages/call.hpp"
#include "messages/node_messages.hpp"
#include "messages/offer.hpp"
#include "messages/task.hpp"

namespace hearth {

// The node's meta record (actors/node_actor): how often it started, whether
// the last run stopped cleanly.
using node_actor_type = caf::typed_actor<caf::replies_to<get_atom>::with<node_meta>>;

// One verified offer, activated on demand and passivated when idle.
using offer_actor_type = caf::typed_actor<caf::replies_to<get_atom>::with<stored_offer>>;

// The set of offers (actors/offer_registry): uploads are validated and
// stored (idempotent per hash), gets go through the offer's actor, listings
// come from storage; health is the number of offer actors alive.
using offer_registry_type =
    caf::typed_actor<caf::replies_to<put_atom, offer_upload>::with<stored_offer>,
                     caf::replies_to<get_atom, std::string>::with<stored_offer>,
                     caf::replies_to<list_atom, std::string, std::uint32_t>::with<std::vector<stored_offer>>,
                     caf::replies_to<health_atom>::with<std::uint64_t>>;

// Task execution (actors/task_registry): run an offer with an input (the
// task's record when it ends; a deterministic offer's repeat answered from
// the cache, or joined to the identical task running), look one up, list
// them; health is the number running. Task actors report task_done; the
// sweep is its retention timer.
using task_registry_type =
    caf::typed_actor<caf::replies_to<run_atom, stored_offer, task_input>::with<task_record>,
                     caf::replies_to<get_atom, std::string>::with<task_record>,
                     caf::replies_to<list_atom, std::string, std::uint32_t>::with<std::vector<task_record>>,
                     caf::replies_to<health_atom>::with<std::uint64_t>,
                     caf::reacts_to<task_done_atom, task_record>,
                     caf::reacts_to<task_sweep_atom>>;

// Calls of offers (actors/call_service, one call actor each): lookup,
// payment hold, task, verdict and settlement. Every edge's call and, in a
// cluster, a forwarded one. The stdout stream a CGI edge passes in the
// call's input is a stdout_stream_type (messages/task.hpp).
using call_service_type = caf::typed_actor<caf::replies_to<call_atom, call_request>::with<call_result>>;

}  // namespace hearth
