// One couch guest, activated from storage on demand by the couch registry
// and passivated when idle. The single writer of its record: every change
// is stored before it answers.
//
// State: guest_record (column "guests"). Interface: guest_actor_type
// (messages/interfaces.hpp):
//   get_atom                          -> guest_record (its usage against its limits is the edge's to show)
//   (activate_atom, std::string endpoint) -> guest_record   provisioning -> running
//   (usage_atom, guest_usage)         -> guest_record   counters reported by the guest's agent;
//                                                      crossing a hard limit revokes it with that reason
//   (revoke_atom, std::string reason) -> guest_record   the kill switch (revoked) or expiry (expired):
//                                                      running commands are cancelled, the environment removed
//   provision_atom                    (no reply)       builds the environment in the background, then
//                                                      runs it (or fails it with the reason)
//   (exec_atom, exec_request, exec_stream_type) -> exec_result  a command in the environment (on its
//                                                      home's environment host), its output streamed as it
//                                                      comes when the stream is set; usage sampled after
//   (terminal_atom, uint32 cols, uint32 rows) -> terminal_type   a shell on a pty in the environment
//   sample_atom                       (no reply)       reads the environment's usage (CPU since the last
//                                                      sample, peak memory, disk) and checks the limits
// The environment is its home's (guest_record.home_node: this node or a
// cluster member), reached through that node's environment host.
// Timers: passivates after idle_after without messages and with nothing
// out at its environment host; a provision whose home cannot be reached
// yet is tried again every 2 s, 15 times.
#pragma once

#include <caf/actor.hpp>
#include <caf/local_actor.hpp>

#include <chrono>
#include <functional>
#include <string>

#include "messages/couch.hpp"
#include "messages/interfaces.hpp"

namespace hearth::storage {
class store;
}

namespace hearth::actors {

using clock_fn = std::function<std::int64_t()>;  // unix ms; tests move it

// The first hard limit usage crosses ("" when none): memory, disk, network egress, tokens.
std::string crossed_limit(const guest_usage& u, const resource_limits& l);

// Where a guest's environment is: this node's environment host (registered
// as environment_host_key), or, when its record names another home, that
// cluster member's (looked up through the cluster member, cluster_key).
struct guest_homes {
  bool builds = false;    // false: no provisioning configured, guests wait for the host's activate
  std::string node_name;  // this node's name in its cluster ("" outside one)
  caf::atom_value cluster_key;
  caf::atom_value environment_host_key;
};

guest_actor_type spawn_guest_actor(caf::local_actor* parent, storage::store* db, guest_record record, clock_fn now,
                                   std::chrono::milliseconds idle_after, guest_homes homes);

}  // namespace hearth::actors
