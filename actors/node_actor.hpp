// Owns the node's meta record: how many times it started, whether the last
// run stopped cleanly. On activation it records this start (written before
// it answers anything); on a user_shutdown exit it records the clean stop.
// A restart within the same process (same boot time) is not a new start.
//
// Interface: node_actor_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <cstdint>
#include <string>

#include "messages/result.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

inline const caf::atom_value node_actor_key = caf::atom("node");

// boot_ms identifies this process's start; the store outlives the actor.
result<caf::actor> spawn_node_actor(caf::actor_system& sys, storage::store& db, std::int64_t boot_ms,
                                    std::string version);

}  // namespace hearth::actors
