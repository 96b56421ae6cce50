// Owns the guest environments on this node: the couch's backend, for the
// guest actors of any cluster member (a guest's record stays on the member
// whose invite it redeemed; its environment may be built here).
//
// State: the memory each environment here was asked for (the room left for
// more guests is the capacity less their sum; an environment left from
// before a restart counts again once its guest uses it), and the cancel
// flags of the commands running, by guest. Nothing is stored: the records
// are the couch registries', the files the backend's.
// Messages: environment_host_type (messages/interfaces.hpp). Every backend
// call blocks, so each runs on a detached helper and the host answers when
// it ends; removing an environment cancels its commands first, and the
// host's exit (the node's stop) cancels every command.
#pragma once

#include <caf/actor_system.hpp>

#include <cstdint>
#include <memory>

#include "actors/environment_backend.hpp"
#include "messages/interfaces.hpp"

namespace hearth::actors {

inline const caf::atom_value environment_host_key = caf::atom("envs");

environment_host_type spawn_environment_host(caf::actor_system& sys, std::shared_ptr<environment_backend> backend,
                                             std::uint64_t capacity_mb);

}  // namespace hearth::actors
