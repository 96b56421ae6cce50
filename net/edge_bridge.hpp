// The edge's way into the actors: a few long-lived bridge actors (one per
// actor thread) run a request's asks and answer it. A request spawns no
// actor, and its asks arm no CAF timer each (CAF 0.17 wakes its clock
// thread to arm and again to cancel every request timeout): a bridge keeps
// each request's deadline itself and sweeps them once a second, answering
// what has run out with the timeout error an ask would have given.
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <vector>

#include "net/http_types.hpp"

namespace hearth::net {

// Runs inside a bridge: self makes the asks (with caf::infinite, the bridge
// keeps the deadline), respond answers once (later calls do nothing).
using bridge_work = std::function<void(caf::event_based_actor* self, const responder& respond)>;

// Runs work in a bridge (a temporary one while the edge has none published)
// and answers node_unavailable, a timeout, when work has not called respond
// within deadline.
void bridge_run(caf::actor_system& sys, responder respond, bridge_work work,
                std::chrono::milliseconds deadline = std::chrono::seconds(30));

// The bridges of one edge (the owner), published in the registry. The owner
// monitors them: a bridge that died (a handler threw) is replaced, its
// requests get the HTTP handler timeout; they end when the owner does.
class edge_bridges {
 public:
  void start(caf::local_actor* owner, unsigned count);
  // true when gone was one of these (then replaced).
  bool replace(caf::local_actor* owner, const caf::actor_addr& gone);

 private:
  void publish(caf::actor_system& sys) const;
  std::vector<caf::actor> bridges_;
};

}  // namespace hearth::net
