// Owns this node's view of the cluster: the members (name, addresses,
// what each holds, its capacity, its call service) and whether each is up.
// Each heartbeat it sends every member its own entry (its offers, read from
// the offer registry, at most max_listed) and marks gone a member not heard
// from within three heartbeats, or whose actor went down (its node's
// connection broke: CAF's down message). Joining: a detached joiner
// connects to each --join address (the injected connect, TLS through
// CAF's OpenSSL module), says hello, and says hello to every member the
// answer names, so a node joining later sees the whole directory.
// Nothing here is stored: membership is rebuilt from joins and heartbeats.
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
  std::string cluster_address;  // host:port it listens on
  std::string http_url;
  std::vector<std::string> join;  // host:port of members to join through
  std::chrono::milliseconds heartbeat{1000};
  std::uint32_t cpu_units = 0;
  std::size_t max_listed = 10000;  // offers announced per heartbeat
  cluster_connect connect;
};

cluster_member_type spawn_cluster_member(caf::actor_system& sys, cluster_config config);

}  // namespace hearth::actors
