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
#include "messages/node_messages.hpp"
#include "messages/offer.hpp"

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

}  // namespace hearth
