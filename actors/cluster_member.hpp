// Owns this node's view of the cluster: the members (name, addresses, what
// each holds, its capacity, its actors) and whether each is up.
//
// State: the members by name (this node's own entry is built fresh), when
// each was last heard from on this node's clock, and the reconnects under
// way. Nothing is stored: membership is rebuilt from joins and heartbeats,
// so a node that comes back rejoins with its own records intact.
// Messages: hello (a member joins: answered with the members known, so a
// node joining later learns the whole directory), directory (a member's
// heartbeat), locate (which member runs a call), list (the offers the others
// hold), get (for GET /cluster), joined (the connector's result), publish
// (its listener is up at this address: joining and heartbeats start).
// Timers: the heartbeat. Each beat sends every live member this node's
// entry (its offers, read from the offer registry), marks gone a member not
// heard from within three beats (a member whose actor goes down, its
// connection broken, is gone at once: CAF's down message), and tries again,
// with growing gaps, to reach a gone member at its cluster address.
// Connecting blocks (CAF's remote_actor), so it runs in a detached actor.
//
// Interface: cluster_member_type (messages/interfaces.hpp).
#pragma once

#include <caf/actor_system.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "messages/interfaces.hpp"
#include "messages/result.hpp"

namespace hearth::actors {

inline const caf::atom_value cluster_member_key = caf::atom("cluster");

// Connects to a member's published cluster actor (blocking; run detached).
using cluster_connect = std::function<result<cluster_member_type>(const std::string& host, std::uint16_t port)>;

struct cluster_config {
  std::string name;             // this node's (unique in the cluster)
  std::string cluster_address;  // host:port it listens on (set by publish_atom)
  std::string http_url;
  std::vector<std::string> join;  // host:port of members to join through
  std::chrono::milliseconds heartbeat{1000};
  std::uint32_t cores = 0;
  std::uint64_t memory_bytes = 0;
  std::uint32_t cpu_units = 0;
  std::uint32_t run_slots = 0;
  std::size_t max_listed = 10000;  // offers announced per heartbeat
  cluster_connect connect;
};

cluster_member_type spawn_cluster_member(caf::actor_system& sys, cluster_config config);

// The member a paid call runs on, among the names of the live members
// holding its offer: the highest sha256(key, name) (rendezvous hashing), so
// every node sends one payment authorisation to the same member.
std::string rendezvous_pick(const std::string& key, const std::vector<std::string>& names);

}  // namespace hearth::actors
