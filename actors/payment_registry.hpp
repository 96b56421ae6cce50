// Owns the node's payments: activates one payment actor per payment in
// flight (virtual actors: a settle for a passivated payment activates it
// from storage), and is the single writer of the nonce column, so that each
// (payer, nonce) is claimed exactly once however many requests race with it.
// At start, payments a crashed run left held are marked unsettled (their
// task never answered; nothing was charged) and settle_pending ones resume.
//
// Interface: payment_registry_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include "actors/payment_actor.hpp"
#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value payment_registry_key = caf::atom("payments");

result<payment_registry_type> spawn_payment_registry(caf::actor_system& sys, storage::store& db, payment_settings settings);

}  // namespace hearth::actors
