// The root of the node's supervision tree. Owns the list of permanent
// children (registries, edges): starts them in order, monitors each, restarts
// one that stops, and gives up (quitting with the reason, so the node stops
// cleanly) when a child stops more than max_restarts times within window.
// On stop_atom it stops the children in reverse start order, one at a time.
//
// Interface: root_supervisor_type (messages/interfaces.hpp). Children are
// named in CAF's registry under their key.
#pragma once

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "messages/interfaces.hpp"
#include "messages/result.hpp"

namespace hearth::actors {

inline const caf::atom_value root_supervisor_key = caf::atom("root");

struct child_spec {
  std::string name;
  caf::atom_value registry_key;
  std::function<result<caf::actor>(caf::actor_system&)> start;
};

struct restart_policy {
  unsigned max_restarts = 5;
  std::chrono::milliseconds window{60000};
};

// Starts the children synchronously; if one fails to start, stops the ones
// already started and returns that failure. Registers itself as "root".
result<root_supervisor_type> spawn_root_supervisor(caf::actor_system& sys, std::vector<child_spec> children,
                                         restart_policy policy = {});

}  // namespace hearth::actors
