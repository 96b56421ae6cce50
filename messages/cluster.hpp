// A cluster member as the others see it: its name, where it is reached,
// the offers it holds and its capacity, and the actors a peer talks to
// (its cluster member, call service, offer registry, environment host,
// seller directory and job registry:
// remote handles over CAF's middleman). Sent on every heartbeat; the
// directory is their union.
#pragma once

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth {

struct member_info {
  std::string name;
  std::string cluster_address;  // host:port of its cluster listener
  std::string http_url;
  std::vector<std::string> offers;  // hashes of the offers it holds
  std::uint32_t cores = 0;
  std::uint64_t memory_bytes = 0;
  std::uint32_t cpu_units = 0;       // its run budget, thousandths of a core
  std::uint32_t run_slots = 0;        // runs it takes at once (--max-running-tasks)
  std::uint64_t running_tasks = 0;
  std::int64_t updated_at_ms = 0;    // its clock when it sent this
  std::string state = "up";          // up | gone (as this node last saw it); join: a joiner's handle
  caf::actor member;                 // its cluster_member actor
  caf::actor calls;                  // its call service
  caf::actor offer_registry;         // its offer registry (tools/list across the cluster)
  caf::actor environments;           // its environment host (couch guests); null: it builds none
  std::uint64_t guest_room_mb = 0;   // memory its environment host has left for more guests
  caf::actor sellers;                // its seller directory (marketplace jobs placed on its sellers)
  caf::actor jobs;                   // its job registry (its sellers' reports on jobs placed from elsewhere)
  std::uint32_t sellers_online = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("member_info"), x.name, x.cluster_address, x.http_url, x.offers, x.cores,
           x.memory_bytes, x.cpu_units, x.run_slots, x.running_tasks, x.updated_at_ms, x.state, x.member, x.calls,
           x.offer_registry, x.environments, x.guest_room_mb, x.sellers, x.jobs, x.sellers_online);
}

}  // namespace hearth
